//! Writing the generated rows, in one transaction, parents before children: PostgreSQL takes
//! them by binary `COPY` (the fastest way in), SQLite by multi-row `INSERT`s as large as its
//! bound-parameter limit allows. Ids are given by the seed, so PostgreSQL's id sequences are moved
//! past them afterwards (SQLite's `AUTOINCREMENT` follows the largest id by itself).

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::rows;
use super::{Dataset, Progress, SeedError};
use crate::db::DbConn;
use crate::db::schema::{
    beneficiaries, beneficiary_annual_figures, beneficiary_personal_data, certificate_number_sequences,
    certificates, organizations, products, programme_targets, programmes, project_beneficiaries,
    project_budget_versions, project_code_sequences, project_disbursements, project_history,
    project_indicators, projects, selection_entries, selection_round_judges, selection_rounds,
    selection_scores, users,
};

/// Rows per `COPY` statement: large enough to amortise the round trip, small enough for the
/// progress bar to move.
const COPY_ROWS: usize = 10_000;

/// SQLite binds at most 32,766 parameters per statement (the bundled library's limit).
const SQLITE_PARAMETERS: usize = 32_000;

fn sqlite_rows(columns: usize) -> usize {
    (SQLITE_PARAMETERS / columns).clamp(1, 1_000)
}

/// Writes `$rows` into `$table` (a module of `db::schema`) with `$columns` columns per row.
macro_rules! write_rows {
    ($conn:expr, $progress:expr, $table:ident, $rows:expr, $columns:expr) => {{
        let rows = &$rows;
        $progress.table(stringify!($table));
        match $conn {
            DbConn::Pg(c) => {
                for chunk in rows.chunks(COPY_ROWS) {
                    diesel::copy_from($table::table)
                        .from_insertable(chunk)
                        .execute(c)?;
                    $progress.advance(chunk.len());
                }
            }
            DbConn::Sqlite(c) => {
                for chunk in rows.chunks(sqlite_rows($columns)) {
                    diesel::insert_into($table::table).values(chunk).execute(c)?;
                    $progress.advance(chunk.len());
                }
            }
        }
    }};
}

/// The tables whose ids come from a sequence on PostgreSQL.
const TABLES_WITH_IDS: &[&str] = &[
    "users",
    "organizations",
    "beneficiaries",
    "beneficiary_annual_figures",
    "projects",
    "project_history",
    "project_budget_versions",
    "project_disbursements",
    "project_indicators",
    "programmes",
    "programme_targets",
    "products",
    "selection_rounds",
    "selection_entries",
    "certificates",
];

/// Writes everything in one transaction: a failure leaves the database as it was.
pub fn write(conn: &mut DbConn, data: &Dataset, progress: &Progress) -> Result<(), SeedError> {
    if let DbConn::Sqlite(c) = conn {
        // A larger page cache for the duration of the load: the indexes of 100,000-row tables
        // stay in memory instead of being re-read for every page.
        c.batch_execute("PRAGMA cache_size = -262144;")?;
    }
    let result = conn.transaction::<_, SeedError, _>(|conn| {
        if let DbConn::Pg(c) = conn {
            // The pool's statement timeout protects requests; a load may take longer.
            c.batch_execute("SET LOCAL statement_timeout = 0;")?;
        }
        write_rows!(conn, progress, users, data.accounts.users, 13);
        write_rows!(conn, progress, organizations, data.projects.organizations, 12);
        write_rows!(conn, progress, beneficiaries, data.establishments.rows, 32);
        write_rows!(
            conn,
            progress,
            beneficiary_personal_data,
            data.establishments.personal,
            5
        );
        write_rows!(
            conn,
            progress,
            beneficiary_annual_figures,
            data.establishments.figures,
            10
        );
        write_rows!(conn, progress, projects, data.projects.projects, 28);
        write_rows!(conn, progress, project_beneficiaries, data.projects.links, 3);
        write_rows!(conn, progress, project_history, data.projects.history, 14);
        write_rows!(
            conn,
            progress,
            project_budget_versions,
            data.projects.budget_versions,
            13
        );
        write_rows!(
            conn,
            progress,
            project_disbursements,
            data.projects.disbursements,
            10
        );
        write_rows!(conn, progress, project_indicators, data.projects.indicators, 7);
        let project_codes = new_sequences(conn, Sequences::ProjectCodes, &data.projects.code_sequences)?;
        let project_codes: Vec<rows::ProjectCodeSequence> = project_codes
            .into_iter()
            .map(|s| rows::ProjectCodeSequence {
                prefix: s.prefix,
                last_value: s.last_value,
            })
            .collect();
        write_rows!(conn, progress, project_code_sequences, project_codes, 2);
        write_rows!(conn, progress, programmes, data.programmes.programmes, 11);
        write_rows!(conn, progress, programme_targets, data.programmes.targets, 6);
        write_rows!(conn, progress, products, data.certification.products, 13);
        write_rows!(conn, progress, selection_rounds, data.certification.rounds, 21);
        write_rows!(
            conn,
            progress,
            selection_round_judges,
            data.certification.judges,
            2
        );
        write_rows!(conn, progress, selection_entries, data.certification.entries, 9);
        write_rows!(conn, progress, selection_scores, data.certification.scores, 8);
        write_rows!(conn, progress, certificates, data.certification.certificates, 20);
        let numbers = new_sequences(
            conn,
            Sequences::CertificateNumbers,
            &data.certification.number_sequences,
        )?;
        let numbers: Vec<rows::CertificateNumberSequence> = numbers
            .into_iter()
            .map(|s| rows::CertificateNumberSequence {
                prefix: s.prefix,
                last_value: s.last_value,
            })
            .collect();
        write_rows!(conn, progress, certificate_number_sequences, numbers, 2);
        if let DbConn::Pg(c) = conn {
            for table in TABLES_WITH_IDS {
                c.batch_execute(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), m) \
                     FROM (SELECT MAX(id) AS m FROM {table}) AS last WHERE m IS NOT NULL;"
                ))?;
            }
        }
        Ok(())
    });
    if let DbConn::Sqlite(c) = conn {
        c.batch_execute("PRAGMA cache_size = -2000;")?;
    }
    result?;
    if let DbConn::Pg(c) = conn {
        // Fresh statistics, so that the planner sees the loaded tables as they are from the
        // first query on rather than when autovacuum comes round.
        progress.table("analyze");
        c.transaction(|c| c.batch_execute("SET LOCAL statement_timeout = 0; ANALYZE;"))?;
    }
    Ok(())
}

enum Sequences {
    ProjectCodes,
    CertificateNumbers,
}

/// The sequences to insert: prefixes the database does not have yet. A prefix it has (left by a
/// record deleted since) keeps the larger of the two values, so no number is drawn twice.
fn new_sequences(
    conn: &mut DbConn,
    which: Sequences,
    wanted: &[rows::Sequence],
) -> Result<Vec<rows::Sequence>, SeedError> {
    let existing: BTreeMap<String, i64> = match which {
        Sequences::ProjectCodes => project_code_sequences::table
            .select((project_code_sequences::prefix, project_code_sequences::last_value))
            .load::<(String, i64)>(conn)?,
        Sequences::CertificateNumbers => certificate_number_sequences::table
            .select((
                certificate_number_sequences::prefix,
                certificate_number_sequences::last_value,
            ))
            .load::<(String, i64)>(conn)?,
    }
    .into_iter()
    .collect();
    let mut fresh = Vec::new();
    for sequence in wanted {
        match existing.get(&sequence.prefix) {
            None => fresh.push(sequence.clone()),
            Some(stored) if *stored >= sequence.last_value => {}
            Some(_) => match which {
                Sequences::ProjectCodes => {
                    diesel::update(project_code_sequences::table.find(&sequence.prefix))
                        .set(project_code_sequences::last_value.eq(sequence.last_value))
                        .execute(conn)?;
                }
                Sequences::CertificateNumbers => {
                    diesel::update(certificate_number_sequences::table.find(&sequence.prefix))
                        .set(certificate_number_sequences::last_value.eq(sequence.last_value))
                        .execute(conn)?;
                }
            },
        }
    }
    Ok(fresh)
}
