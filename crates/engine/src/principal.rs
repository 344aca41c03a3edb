//! Who is asking: a [`Principal`], as an adapter authenticated it (the API from a bearer
//! token; a webhook as its own principal). Authorisation decisions read it.

use holdfast_domain::common::{GuestId, TenantId};

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No token.
    Anonymous,
    /// A guest.
    Guest {
        /// The guest.
        guest: GuestId,
    },
    /// An operator of a tenant.
    Operator {
        /// The tenant they operate.
        tenant: TenantId,
        /// Their user id.
        sub: String,
    },
    /// An administrator.
    Admin {
        /// Their user id.
        sub: String,
    },
}

impl Principal {
    /// Whether this principal may act for `tenant` (its operator, or an admin).
    pub fn operates(&self, tenant: TenantId) -> bool {
        match self {
            Principal::Operator { tenant: t, .. } => *t == tenant,
            Principal::Admin { .. } => true,
            _ => false,
        }
    }

    /// Whether this principal may see `guest`'s private data (the guest, or an admin).
    pub fn is_guest_or_admin(&self, guest: GuestId) -> bool {
        match self {
            Principal::Guest { guest: g } => *g == guest,
            Principal::Admin { .. } => true,
            _ => false,
        }
    }

    /// Whether this is an administrator.
    pub fn is_admin(&self) -> bool {
        matches!(self, Principal::Admin { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_act_for_their_tenant_only_and_guests_see_only_themselves() {
        let (t1, t2) = (TenantId::new(), TenantId::new());
        let (g1, g2) = (GuestId::new(), GuestId::new());
        let op = Principal::Operator {
            tenant: t1,
            sub: "op".into(),
        };
        assert!(op.operates(t1) && !op.operates(t2));
        assert!(!op.is_guest_or_admin(g1));
        let guest = Principal::Guest { guest: g1 };
        assert!(guest.is_guest_or_admin(g1) && !guest.is_guest_or_admin(g2) && !guest.operates(t1));
        let admin = Principal::Admin { sub: "root".into() };
        assert!(admin.operates(t2) && admin.is_guest_or_admin(g2) && admin.is_admin());
        assert!(!Principal::Anonymous.operates(t1));
    }
}
