//! The board's lists: the vocabularies programs and candidates' logs refer to.
//!
//! The board edits these (the seed lists 15 core knowledge areas, the board's own event form
//! lists 17), so they are data with a version, not enums in code. Programs refer to items by
//! key; a key that is not in the lists is refused when the program is imported.

use serde::{Deserialize, Serialize};

use super::SplitList;

/// One entry in a board list: a stable key used in files and logs, and the name people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListItem {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BoardLists {
    pub version: String,
    pub core_areas: Vec<ListItem>,
    pub disciplines: Vec<ListItem>,
    pub professions: Vec<ListItem>,
    pub delivery_modes: Vec<ListItem>,
    pub membership_types: Vec<ListItem>,
    pub document_kinds: Vec<ListItem>,
    /// The concerns people bring (the directory's and intake's taxonomy).
    #[serde(default)]
    pub concerns: Vec<ListItem>,
    /// Populations a professional serves (the directory's filter).
    #[serde(default)]
    pub populations: Vec<ListItem>,
    /// Therapeutic approaches a professional uses.
    #[serde(default)]
    pub approaches: Vec<ListItem>,
    /// Insurers and payment arrangements a professional may accept (a directory filter).
    #[serde(default)]
    pub insurers: Vec<ListItem>,
}

fn find<'a>(items: &'a [ListItem], key: &str) -> Option<&'a ListItem> {
    items.iter().find(|item| item.key == key)
}

/// The item's name, or the key itself if the list no longer has it (an old log entry).
fn name_in<'a>(items: &'a [ListItem], key: &'a str) -> &'a str {
    find(items, key).map_or(key, |item| item.name.as_str())
}

impl BoardLists {
    /// Adds the items of `newer` whose keys these lists do not have, so that a program judged
    /// by an older version still names a profession or document kind recorded since by its
    /// name, not its key. Nothing this version names is changed, and the lists hours are split
    /// across (whose every item a minimum may apply to) are left alone.
    pub fn fill_names_from(&mut self, newer: &BoardLists) {
        fn fill(items: &mut Vec<ListItem>, newer: &[ListItem]) {
            for item in newer {
                if find(items, &item.key).is_none() {
                    items.push(item.clone());
                }
            }
        }
        fill(&mut self.professions, &newer.professions);
        fill(&mut self.delivery_modes, &newer.delivery_modes);
        fill(&mut self.membership_types, &newer.membership_types);
        fill(&mut self.document_kinds, &newer.document_kinds);
    }

    pub fn split_items(&self, list: SplitList) -> &[ListItem] {
        match list {
            SplitList::CoreAreas => &self.core_areas,
            SplitList::Disciplines => &self.disciplines,
        }
    }

    pub fn has_mode(&self, key: &str) -> bool {
        find(&self.delivery_modes, key).is_some()
    }
    pub fn has_profession(&self, key: &str) -> bool {
        find(&self.professions, key).is_some()
    }
    pub fn has_membership_type(&self, key: &str) -> bool {
        find(&self.membership_types, key).is_some()
    }
    pub fn has_document_kind(&self, key: &str) -> bool {
        find(&self.document_kinds, key).is_some()
    }

    pub fn mode_name<'a>(&'a self, key: &'a str) -> &'a str {
        name_in(&self.delivery_modes, key)
    }
    pub fn profession_name<'a>(&'a self, key: &'a str) -> &'a str {
        name_in(&self.professions, key)
    }
    pub fn membership_type_name<'a>(&'a self, key: &'a str) -> &'a str {
        name_in(&self.membership_types, key)
    }
    pub fn document_kind_name<'a>(&'a self, key: &'a str) -> &'a str {
        name_in(&self.document_kinds, key)
    }
    pub fn item_name<'a>(&'a self, list: SplitList, key: &'a str) -> &'a str {
        name_in(self.split_items(list), key)
    }
}
