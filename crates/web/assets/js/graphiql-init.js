// GraphiQL over this server's API (queries, mutations, and subscriptions over WebSocket).
(function start() {
  const url = `${location.origin}/graphql`;
  const ws = url.replace(/^http/, 'ws') + '/ws';
  const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl: ws });
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }));
}());
