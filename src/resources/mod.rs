//! One module per resource: its diesel model, API types, queries and handlers.

pub mod articles;
pub mod events;
pub mod feeds;
pub mod item;
pub mod jsonld;
pub mod places;
pub mod regions;
pub mod search;
pub mod sections;
pub mod suggest;
pub mod vocab;
