//! `q`: a search key matched anywhere in the search keys of establishments, projects and products,
//! answered by an index on both backends instead of a scan of every row.
//!
//! - PostgreSQL: `search_key LIKE '%…%'` is served by a trigram GIN index (`pg_trgm`); the planner
//!   uses it when the words are rare and walks the primary key when they are common (a page fills
//!   after a few rows).
//! - SQLite: each searched table has an FTS5 table with the trigram tokenizer, kept in sync by
//!   triggers; a quoted phrase of three characters or more matches exactly the rows whose key
//!   contains it, the same rows `LIKE` finds.
//!
//! Keys shorter than three characters have no trigram: both backends then match with `LIKE` over the
//! rows the other filters leave.

use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::sql_types::{Bool, Text};

use crate::db::DbBackend;
use crate::domain::search::{contains_pattern, search_key};

/// Which index answers a search on this database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchIndex {
    /// PostgreSQL's `pg_trgm` GIN index behind `LIKE`.
    Trigram,
    /// SQLite's FTS5 tables with the trigram tokenizer.
    Fts5,
}

/// The tables that carry a search key and its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Searched {
    Beneficiaries,
    Projects,
    Products,
}

impl Searched {
    fn table(self) -> &'static str {
        match self {
            Searched::Beneficiaries => "beneficiaries",
            Searched::Projects => "projects",
            Searched::Products => "products",
        }
    }
}

/// A `q` parameter, ready to be matched.
#[derive(Debug, Clone)]
pub struct TextSearch {
    /// `%key%` with `%`, `_` and `\` escaped.
    pattern: String,
    /// The key as an FTS5 phrase, when it is long enough to have trigrams.
    phrase: Option<String>,
    index: SearchIndex,
}

/// A condition over the rows of `QS`, built for either backend.
pub type Predicate<QS> = Box<dyn BoxableExpression<QS, DbBackend, SqlType = Bool>>;

impl TextSearch {
    pub fn new(q: &str, index: SearchIndex) -> TextSearch {
        let key = search_key(q);
        let phrase = (key.chars().count() >= 3).then(|| format!("\"{}\"", key.replace('"', "\"\"")));
        TextSearch {
            pattern: contains_pattern(q),
            phrase,
            index,
        }
    }

    /// The `LIKE` pattern (also for columns outside the search index, such as certificate numbers).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    fn fts_phrase(&self) -> Option<&str> {
        match self.index {
            SearchIndex::Fts5 => self.phrase.as_deref(),
            SearchIndex::Trigram => None,
        }
    }

    /// The rows of `searched` itself whose search key contains the key.
    pub fn matches<QS: 'static>(&self, searched: Searched) -> Predicate<QS> {
        let table = searched.table();
        match self.fts_phrase() {
            Some(phrase) => Box::new(
                sql::<Bool>(&format!(
                    "{table}.id IN (SELECT rowid FROM {table}_search WHERE {table}_search MATCH "
                ))
                .bind::<Text, _>(phrase.to_owned())
                .sql(")"),
            ),
            None => Box::new(
                sql::<Bool>(&format!("{table}.search_key LIKE "))
                    .bind::<Text, _>(self.pattern.clone())
                    .sql(" ESCAPE '\\'"),
            ),
        }
    }

    /// The rows whose `column` names a row of `searched` that matches (a product by its producer's
    /// name, a certificate by its product's). `column` is a qualified column name of the code.
    pub fn references<QS: 'static>(&self, column: &'static str, searched: Searched) -> Predicate<QS> {
        let table = searched.table();
        match self.fts_phrase() {
            Some(phrase) => Box::new(
                sql::<Bool>(&format!(
                    "{column} IN (SELECT rowid FROM {table}_search WHERE {table}_search MATCH "
                ))
                .bind::<Text, _>(phrase.to_owned())
                .sql(")"),
            ),
            None => Box::new(
                sql::<Bool>(&format!(
                    "{column} IN (SELECT id FROM {table} WHERE search_key LIKE "
                ))
                .bind::<Text, _>(self.pattern.clone())
                .sql(" ESCAPE '\\')"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_have_no_phrase_and_quotes_are_doubled() {
        assert!(TextSearch::new("Mâ", SearchIndex::Fts5).fts_phrase().is_none());
        assert_eq!(
            TextSearch::new("Mây  tre", SearchIndex::Fts5).fts_phrase(),
            Some("\"may tre\"")
        );
        assert_eq!(
            TextSearch::new("a\"b", SearchIndex::Fts5).fts_phrase(),
            Some("\"a\"\"b\"")
        );
        assert!(
            TextSearch::new("may tre", SearchIndex::Trigram)
                .fts_phrase()
                .is_none()
        );
        assert_eq!(TextSearch::new("50%", SearchIndex::Trigram).pattern(), "%50\\%%");
    }
}
