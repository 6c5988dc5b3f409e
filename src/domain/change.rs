//! What a write did to an item, as the changes feed, webhooks and responses
//! describe it.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Updated,
    Deleted,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Deleted => "deleted",
        }
    }
}

/// What the changes feed and responses need to know about a saved item.
#[derive(Debug, Clone)]
pub struct ItemMeta {
    pub slug: String,
    pub locale: String,
    /// Visible to anonymous readers right now.
    pub public: bool,
}
