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
//! A `q` that is a whole establishment identifier (a tax code with its check digit, a branch tax
//! code, a household-business registration number) is answered by the identifier index instead:
//! [`TextSearch::identifier`] names it, and the establishment list matches the records holding it
//! and, for a 10-digit tax code, its branches (`0101234567-001`). Those are the records whose key
//! holds such a string anyway: names and representatives do not hold ten-digit runs.
//!
//! Keys shorter than three characters have no trigram: both backends then match with `LIKE` over the
//! rows the other filters leave.
//!
//! SQLite has no planner statistics for FTS5, so [`TextSearch::matching`] asks the index how many
//! records hold the key's rarest trigram (the `…_search_terms` vocabulary tables): when even that
//! one is common, the words are common, and walking the table in id order finds a page after a few
//! rows, while the index would list every match first. PostgreSQL's planner makes the same choice
//! from its own statistics.

use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};

use crate::db::{DbBackend, DbConn};
use crate::domain::identifiers::{compact, validate_household_registration, validate_tax_code};
use crate::domain::search::{contains_pattern, search_key};
use crate::error::ApiError;

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
    /// The search key of `q`.
    key: String,
    /// `%key%` with `%`, `_` and `\` escaped.
    pattern: String,
    /// The key as an FTS5 phrase, when it is long enough to have trigrams.
    phrase: Option<String>,
    /// `q` as an establishment identifier, when it is one.
    identifier: Option<String>,
    index: SearchIndex,
}

/// A condition over the rows of `QS`, built for either backend.
pub type Predicate<QS> = Box<dyn BoxableExpression<QS, DbBackend, SqlType = Bool>>;

impl TextSearch {
    pub fn new(q: &str, index: SearchIndex) -> TextSearch {
        let key = search_key(q);
        let phrase = (key.chars().count() >= 3).then(|| format!("\"{}\"", key.replace('"', "\"\"")));
        let compacted = compact(q).to_uppercase();
        let identifier = (validate_tax_code(&compacted).is_ok()
            || validate_household_registration(&compacted).is_ok())
        .then_some(compacted);
        TextSearch {
            key,
            pattern: contains_pattern(q),
            phrase,
            identifier,
            index,
        }
    }

    /// `q` as an establishment identifier (spaces and dots removed, upper case), when it is one.
    pub fn identifier(&self) -> Option<&str> {
        self.identifier.as_deref()
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

    /// [`TextSearch::matches`], with the way to match chosen for this key on this database: the
    /// index for rare words, the table in id order for common ones (see the module documentation).
    pub fn matching<QS: 'static>(
        &self,
        conn: &mut DbConn,
        searched: Searched,
    ) -> Result<Predicate<QS>, ApiError> {
        if let (Some(_), DbConn::Sqlite(conn)) = (self.fts_phrase(), &mut *conn)
            && rarest_trigram_count(conn, searched, &self.key)? > COMMON_TRIGRAM_RECORDS
        {
            return Ok(self.scanned(searched));
        }
        Ok(self.matches(searched))
    }

    /// `search_key LIKE pattern` on the table itself.
    fn scanned<QS: 'static>(&self, searched: Searched) -> Predicate<QS> {
        Box::new(
            sql::<Bool>(&format!("{}.search_key LIKE ", searched.table()))
                .bind::<Text, _>(self.pattern.clone())
                .sql(" ESCAPE '\\'"),
        )
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
            None => self.scanned(searched),
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

/// Above this many records holding the rarest trigram of a key, the key counts as common on SQLite:
/// a page of 50 then turns up within a few thousand rows walked in id order.
const COMMON_TRIGRAM_RECORDS: i64 = 2_000;

/// How many records hold the rarest of the key's trigrams (an upper bound of the matches); zero
/// when one of them is in no record at all.
fn rarest_trigram_count(
    conn: &mut diesel::SqliteConnection,
    searched: Searched,
    key: &str,
) -> Result<i64, ApiError> {
    let chars: Vec<char> = key.chars().collect();
    let trigrams: std::collections::BTreeSet<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    let placeholders = vec!["?"; trigrams.len()].join(", ");
    let mut query = diesel::sql_query(format!(
        "SELECT count(*) AS held, min(doc) AS rarest FROM {}_search_terms WHERE term IN ({placeholders})",
        searched.table()
    ))
    .into_boxed::<diesel::sqlite::Sqlite>();
    for trigram in &trigrams {
        query = query.bind::<Text, _>(trigram.clone());
    }
    #[derive(QueryableByName)]
    struct Terms {
        #[diesel(sql_type = BigInt)]
        held: i64,
        #[diesel(sql_type = Nullable<BigInt>)]
        rarest: Option<i64>,
    }
    let terms: Terms = query.get_result(conn)?;
    if terms.held < trigrams.len() as i64 {
        return Ok(0);
    }
    Ok(terms.rarest.unwrap_or(0))
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

    #[test]
    fn whole_identifiers_are_recognised_and_partial_ones_are_not() {
        let identifier = |q: &str| {
            TextSearch::new(q, SearchIndex::Trigram)
                .identifier()
                .map(str::to_owned)
        };
        assert_eq!(identifier(" 0101 234 565 ").as_deref(), Some("0101234565"));
        assert_eq!(identifier("0101234565-001").as_deref(), Some("0101234565-001"));
        assert_eq!(identifier("01a8001234").as_deref(), Some("01A8001234"));
        // A wrong check digit, a part of a code and words are searched as text.
        assert_eq!(identifier("0101234567"), None);
        assert_eq!(identifier("010123456"), None);
        assert_eq!(identifier("may tre"), None);
    }
}
