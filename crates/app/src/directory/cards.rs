//! The result cards a node has shown recently, kept in memory so that a search answers
//! without a database round trip for the cards of popular places (the index alone answers
//! the filtering, counting and ordering). Searches are concentrated on the places people live,
//! so a bounded cache holds most of what is asked for; see bench/README.md for its effect.
//!
//! Correctness: a card is dropped whenever the change feed names its holder (the same event
//! that re-indexes them) and the whole cache when the index is rebuilt. A card read from the
//! database before such a drop is not stored after it: every drop advances a generation, and
//! a fill carries the generation it began in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use store::directory::profiles::{CardRow, LocationRow};

use crate::directory::profiles::ShownLocation;

/// Cards kept per node (about 300 bytes each, so about 20 MB when full).
const CAPACITY: usize = 65_536;

/// What a result card shows that the index does not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct CardFacts {
    pub holder_name: String,
    pub pronouns: String,
    pub practice_name: String,
    pub fee_min: Option<i32>,
    pub fee_max: Option<i32>,
    /// The practice locations by position.
    pub locations: Vec<(i32, ShownLocation)>,
}

impl CardFacts {
    /// The location at `position`, else the first.
    pub fn location(&self, position: Option<u8>) -> Option<&ShownLocation> {
        position
            .and_then(|p| self.locations.iter().find(|(at, _)| *at == i32::from(p)))
            .or_else(|| self.locations.first())
            .map(|(_, location)| location)
    }

    /// The cards of one database read, by holder.
    pub fn from_rows(cards: Vec<CardRow>, locations: &[LocationRow]) -> HashMap<String, Arc<CardFacts>> {
        let mut by_holder: HashMap<&str, Vec<(i32, ShownLocation)>> = HashMap::new();
        for row in locations {
            by_holder
                .entry(row.user_id.as_str())
                .or_default()
                .push((row.position, ShownLocation::from(row)));
        }
        cards
            .into_iter()
            .map(|card| {
                let locations = by_holder.remove(card.user_id.as_str()).unwrap_or_default();
                let facts = CardFacts {
                    holder_name: card.holder_name,
                    pronouns: card.pronouns,
                    practice_name: card.practice_name,
                    fee_min: card.fee_min,
                    fee_max: card.fee_max,
                    locations,
                };
                (card.user_id, Arc::new(facts))
            })
            .collect()
    }
}

#[derive(Default)]
struct Held {
    cards: HashMap<String, Arc<CardFacts>>,
    generation: u64,
}

/// The bounded cache.
#[derive(Default)]
pub struct CardCache {
    held: Mutex<Held>,
}

impl CardCache {
    /// The cached cards among `user_ids`, and the generation to pass to [`CardCache::fill`]
    /// with what is fetched for the rest.
    pub fn get(&self, user_ids: &[&str]) -> (HashMap<String, Arc<CardFacts>>, u64) {
        let Ok(held) = self.held.lock() else {
            return (HashMap::new(), u64::MAX);
        };
        let found = user_ids
            .iter()
            .filter_map(|id| held.cards.get(*id).map(|card| ((*id).to_owned(), Arc::clone(card))))
            .collect();
        (found, held.generation)
    }

    /// Stores cards read from the database, unless something was dropped since `generation`.
    pub fn fill(&self, generation: u64, cards: &HashMap<String, Arc<CardFacts>>) {
        let Ok(mut held) = self.held.lock() else { return };
        if held.generation != generation {
            return;
        }
        if held.cards.len() + cards.len() > CAPACITY {
            // Full: drop an arbitrary eighth (hash order), which keeps the cost of making room
            // rare and small; the places still searched are filled again at once.
            let drop: Vec<String> = held.cards.keys().take(CAPACITY / 8).cloned().collect();
            for id in drop {
                held.cards.remove(&id);
            }
        }
        for (id, card) in cards {
            held.cards.insert(id.clone(), Arc::clone(card));
        }
    }

    /// The people named changed: their cards go.
    pub fn forget(&self, user_ids: &[String]) {
        if let Ok(mut held) = self.held.lock() {
            held.generation += 1;
            for id in user_ids {
                held.cards.remove(id);
            }
        }
    }

    /// Everything goes (the index is being rebuilt).
    pub fn clear(&self) {
        if let Ok(mut held) = self.held.lock() {
            held.generation += 1;
            held.cards.clear();
        }
    }

    /// Cards held.
    pub fn len(&self) -> usize {
        self.held.lock().map(|held| held.cards.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(name: &str) -> Arc<CardFacts> {
        Arc::new(CardFacts {
            holder_name: name.to_owned(),
            pronouns: String::new(),
            practice_name: String::new(),
            fee_min: None,
            fee_max: None,
            locations: Vec::new(),
        })
    }

    fn one(id: &str, name: &str) -> HashMap<String, Arc<CardFacts>> {
        HashMap::from([(id.to_owned(), card(name))])
    }

    #[test]
    fn a_filled_card_is_found_until_its_holder_changes() {
        let cache = CardCache::default();
        let (found, generation) = cache.get(&["a"]);
        assert!(found.is_empty());
        cache.fill(generation, &one("a", "Ana"));
        let (found, _) = cache.get(&["a", "b"]);
        assert_eq!(found.len(), 1);
        assert_eq!(found["a"].holder_name, "Ana");
        cache.forget(&["a".to_owned()]);
        assert!(cache.get(&["a"]).0.is_empty());
    }

    #[test]
    fn a_card_read_before_a_change_is_not_stored_after_it() {
        let cache = CardCache::default();
        let (_, generation) = cache.get(&["a"]);
        // The holder changes while the search reads the old card from the database.
        cache.forget(&["a".to_owned()]);
        cache.fill(generation, &one("a", "Old name"));
        assert!(cache.get(&["a"]).0.is_empty(), "a stale card must not be cached");
        let (_, generation) = cache.get(&["a"]);
        cache.fill(generation, &one("a", "New name"));
        assert_eq!(cache.get(&["a"]).0["a"].holder_name, "New name");
    }

    #[test]
    fn the_cache_never_holds_more_than_its_capacity() {
        let cache = CardCache::default();
        for round in 0..(CAPACITY / 1_000 + 3) {
            let (_, generation) = cache.get(&[]);
            let batch: HashMap<String, Arc<CardFacts>> =
                (0..1_000).map(|i| (format!("{round}-{i}"), card("x"))).collect();
            cache.fill(generation, &batch);
            assert!(cache.len() <= CAPACITY, "{} cards held", cache.len());
        }
        assert!(cache.len() > CAPACITY / 2);
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn a_card_shows_the_nearest_location_or_else_the_first() {
        let place = |city: &str| ShownLocation {
            address: String::new(),
            postal_code: String::new(),
            city: city.to_owned(),
            region: String::new(),
            country: "US".to_owned(),
        };
        let facts = CardFacts {
            locations: vec![(0, place("Oakland")), (1, place("Berkeley"))],
            ..(*card("a")).clone()
        };
        assert_eq!(facts.location(Some(1)).map(|l| l.city.as_str()), Some("Berkeley"));
        assert_eq!(facts.location(None).map(|l| l.city.as_str()), Some("Oakland"));
        assert_eq!(facts.location(Some(5)).map(|l| l.city.as_str()), Some("Oakland"));
    }
}
