//! Lists as CSV: `Accept: text/csv` on a list endpoint answers every matching row, not one page,
//! for spreadsheets and data warehouses. Rows are read a page at a time and written as they come,
//! so the server's memory does not grow with the number of rows. UTF-8 with a byte-order mark, so
//! that Excel opens Vietnamese text correctly; the columns are the list items' fields in the order
//! each list documents, nested fields named with a dot (`personal_data.representative_phone`).

use std::sync::Arc;

use actix_web::http::header::{ACCEPT, CONTENT_DISPOSITION};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::stream;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::{Db, DbConn};
use crate::error::ApiError;

pub const CSV: &str = "text/csv";

/// Rows read per trip to the database.
const ROWS_PER_READ: i64 = 1000;

/// A CSV file.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct CsvFile(pub Vec<u8>);

/// Whether the request asks for CSV.
pub fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|t| t.trim().starts_with(CSV)))
}

/// A page of rows and the key to read on from, `None` after the last.
pub type Rows<T> = (Vec<T>, Option<i64>);

/// Reads the rows after a key (`None`: from the first), at most `limit` of them.
pub trait ReadRows<T>:
    Fn(&mut DbConn, Option<i64>, i64) -> Result<Vec<T>, ApiError> + Send + Sync + 'static
{
}
impl<T, F> ReadRows<T> for F where
    F: Fn(&mut DbConn, Option<i64>, i64) -> Result<Vec<T>, ApiError> + Send + Sync + 'static
{
}

/// Every row `read` yields, in `columns`, as a streamed CSV answer named `file_name`. `key` gives
/// a row's position (its id) to read on from. The first rows are read before answering, so that
/// a refusal or an outage is still a problem answer; a failure later cuts the transfer short.
pub async fn export<T, R, K>(
    db: &Db,
    columns: Vec<&'static str>,
    file_name: &str,
    read: R,
    key: K,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    R: ReadRows<T>,
    K: Fn(&T) -> i64 + Send + Sync + 'static,
{
    let read = Arc::new(read);
    let key = Arc::new(key);
    let columns = Arc::new(columns);
    let first = next_rows(db, read.clone(), key.as_ref(), None).await?;
    let mut head = b"\xEF\xBB\xBF".to_vec();
    head.extend(write::<T>(&columns, None)?);
    head.extend(write(&columns, Some(&first.0))?);

    let db = db.clone();
    let rest = stream::unfold(first.1, move |after| {
        let (db, read, key, columns) = (db.clone(), read.clone(), key.clone(), columns.clone());
        async move {
            let after = after?;
            let chunk = match next_rows(&db, read, key.as_ref(), Some(after)).await {
                Ok((rows, next)) => write(&columns, Some(&rows)).map(|bytes| (Bytes::from(bytes), next)),
                Err(error) => Err(error),
            };
            match chunk {
                Ok((bytes, next)) => Some((Ok::<_, actix_web::Error>(bytes), next)),
                Err(error) => {
                    tracing::error!(%error, "CSV export cut short");
                    Some((Err(actix_web::Error::from(error)), None))
                }
            }
        }
    });
    let body = stream::once(async move { Ok::<_, actix_web::Error>(Bytes::from(head)) });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .streaming(futures_util::StreamExt::chain(body, rest)))
}

async fn next_rows<T, R, K>(db: &Db, read: Arc<R>, key: &K, after: Option<i64>) -> Result<Rows<T>, ApiError>
where
    T: Send + 'static,
    R: ReadRows<T>,
    K: Fn(&T) -> i64,
{
    let rows = db.read(move |conn| read(conn, after, ROWS_PER_READ)).await?;
    let next = (rows.len() as i64 == ROWS_PER_READ)
        .then(|| rows.last().map(key))
        .flatten();
    Ok((rows, next))
}

/// The heading line (`rows` = `None`) or the lines of `rows`.
fn write<T: Serialize>(columns: &[&'static str], rows: Option<&[T]>) -> Result<Vec<u8>, ApiError> {
    let failed = |e: String| ApiError::internal(format!("CSV: {e}"));
    let mut out = csv::Writer::from_writer(Vec::new());
    match rows {
        None => out.write_record(columns).map_err(|e| failed(e.to_string()))?,
        Some(rows) => {
            let pointers: Vec<String> = columns
                .iter()
                .map(|c| format!("/{}", c.replace('.', "/")))
                .collect();
            for row in rows {
                let value = serde_json::to_value(row).map_err(|e| failed(e.to_string()))?;
                let cells = pointers.iter().map(|p| cell(value.pointer(p)));
                out.write_record(cells).map_err(|e| failed(e.to_string()))?;
            }
        }
    }
    out.into_inner().map_err(|e| failed(e.to_string()))
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
