//! DescribeInventory: a new name and content; a repeat changes nothing; nothing before the
//! inventory exists; slots, holds and allocations untouched.

use super::*;

fn content(description: &str, occupancy: Option<u32>) -> InventoryContent {
    InventoryContent::new(
        description,
        occupancy,
        vec![Attribute {
            kind: AttributeKind::Amenity,
            value: "balcony".into(),
        }],
    )
    .unwrap()
}

fn describe(name: &str, c: InventoryContent) -> InventoryCommand {
    InventoryCommand::DescribeInventory {
        name: InventoryName::parse(name).unwrap(),
        content: c,
    }
}

#[test]
fn it_should_rename_and_describe_an_inventory() {
    given(vec![define()])
        .when(describe("Deluxe double", content("Sea view.", Some(2))))
        .then_expect_events(vec![InventoryEvent::InventoryDescribed {
            inventory_id: inventory_id(),
            tenant_id: tenant_id(),
            listing_id: listing_id(),
            name: InventoryName::parse("Deluxe double").unwrap(),
            content: content("Sea view.", Some(2)),
        }]);
}

#[test]
fn it_should_ignore_an_identical_description_and_keep_the_last_one() {
    given(vec![
        define(),
        describe("Deluxe double", content("Sea view.", Some(2))),
    ])
    .when(describe("Deluxe double", content("Sea view.", Some(2))))
    .then_expect_events(vec![]);
    let events = history(vec![
        define(),
        set_capacity("2026-12-24", "2026-12-26", 3),
        hold(1, &["2026-12-24"], 1),
        describe("Deluxe double", content("Sea view.", Some(2))),
        describe("Deluxe twin", content("Garden view.", None)),
    ]);
    let inventory = state(&events);
    assert_eq!(inventory.definition().unwrap().name.as_str(), "Deluxe twin");
    assert_eq!(inventory.content(), &content("Garden view.", None));
    // Slots and holds are untouched.
    assert_eq!(inventory.holds().len(), 1);
    assert_eq!(inventory.slots().len(), 2);
}

#[test]
fn it_should_not_describe_an_inventory_that_does_not_exist() {
    given(vec![])
        .when(describe("Deluxe double", InventoryContent::default()))
        .then_expect_error(InventoryError::NotDefined);
}
