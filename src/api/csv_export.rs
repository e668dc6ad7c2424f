//! Lists as CSV: `Accept: text/csv` on a list endpoint answers every matching row, not one page,
//! for spreadsheets and data warehouses. Rows are read a page at a time and written as they come,
//! so the server's memory does not grow with the number of rows. UTF-8 with a byte-order mark, so
//! that Excel opens Vietnamese text correctly; the columns are the list items' fields in the order
//! each list documents, nested fields named with a dot (`personal_data.representative_phone`).

use std::sync::Arc;

use actix_web::http::header::{ACCEPT, CONTENT_DISPOSITION};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use futures_util::stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::{Db, DbConn};
use crate::error::ApiError;
use crate::pagination::{Page, PageRequest};

pub const CSV: &str = "text/csv";

/// UTF-8's byte-order mark, which tells Excel how the file is encoded.
const BOM: &[u8] = b"\xEF\xBB\xBF";

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

/// A list's CSV form: its columns, in order, and the name offered for the file.
pub struct CsvList {
    pub columns: Vec<&'static str>,
    pub file_name: &'static str,
}

impl CsvList {
    pub fn new(columns: &[&'static str], file_name: &'static str) -> CsvList {
        CsvList {
            columns: columns.to_vec(),
            file_name,
        }
    }
}

/// The answer of a paged list endpoint: the page `read_page` reads as JSON, or, for
/// `Accept: text/csv`, every page of the list one after another (in the list's own order and
/// filters; `limit` and `include_total` do not apply).
pub async fn list_answer<T, K, F>(
    db: &Db,
    req: &HttpRequest,
    page: PageRequest<K>,
    csv: CsvList,
    read_page: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    K: DeserializeOwned + Send + 'static,
    F: Fn(&mut DbConn, &PageRequest<K>) -> Result<Page<T>, ApiError> + Send + Sync + 'static,
{
    if !wants_csv(req) {
        let page = db.read(move |conn| read_page(conn, &page)).await?;
        return Ok(HttpResponse::Ok().json(page));
    }
    every_page(db, csv, read_page).await
}

/// Every page `read_page` reads, one after another, as a streamed CSV answer.
pub async fn every_page<T, K, F>(db: &Db, csv: CsvList, read_page: F) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    K: DeserializeOwned + Send + 'static,
    F: Fn(&mut DbConn, &PageRequest<K>) -> Result<Page<T>, ApiError> + Send + Sync + 'static,
{
    let read = move |conn: &mut DbConn, after: Option<K>, limit: i64| {
        let request = PageRequest {
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
            after,
            include_total: false,
        };
        let page = read_page(conn, &request)?;
        let next = page
            .next_cursor
            .as_deref()
            .map(PageRequest::<K>::key_of)
            .transpose()?;
        Ok((page.items, next))
    };
    export(db, csv, read).await
}

/// The answer of a list endpoint that is never long enough to page: the rows as JSON, or as
/// CSV for `Accept: text/csv`.
pub fn whole_list_answer<T: Serialize>(
    req: &HttpRequest,
    csv: CsvList,
    rows: Vec<T>,
) -> Result<HttpResponse, ApiError> {
    if wants_csv(req) {
        csv_answer(csv, &rows)
    } else {
        Ok(HttpResponse::Ok().json(rows))
    }
}

/// `rows`, all of them at once, as a CSV answer.
pub fn csv_answer<T: Serialize>(csv: CsvList, rows: &[T]) -> Result<HttpResponse, ApiError> {
    let mut body = BOM.to_vec();
    body.extend(write::<T>(&csv.columns, None)?);
    body.extend(write(&csv.columns, Some(rows))?);
    Ok(csv_response(csv.file_name).body(body))
}

/// A page of rows and where to read on from, `None` after the last.
pub type Rows<T, C> = (Vec<T>, Option<C>);

/// Reads the rows after a position (`None`: from the first), at most `limit` of them, and the
/// position after the last one when more may follow.
pub trait ReadRows<T, C>:
    Fn(&mut DbConn, Option<C>, i64) -> Result<Rows<T, C>, ApiError> + Send + Sync + 'static
{
}
impl<T, C, F> ReadRows<T, C> for F where
    F: Fn(&mut DbConn, Option<C>, i64) -> Result<Rows<T, C>, ApiError> + Send + Sync + 'static
{
}

/// Every row `read` yields, in `csv`'s columns, as a streamed CSV answer. The first rows are
/// read before answering, so that a refusal or an outage is still a problem answer; a failure
/// later cuts the transfer short.
pub async fn export<T, C, R>(db: &Db, csv: CsvList, read: R) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    C: Send + 'static,
    R: ReadRows<T, C>,
{
    let read = Arc::new(read);
    let columns = Arc::new(csv.columns);
    let first = next_rows(db, read.clone(), None).await?;
    let mut head = BOM.to_vec();
    head.extend(write::<T>(&columns, None)?);
    head.extend(write(&columns, Some(&first.0))?);

    let db = db.clone();
    let rest = stream::unfold(first.1, move |after| {
        let (db, read, columns) = (db.clone(), read.clone(), columns.clone());
        async move {
            let after = after?;
            let chunk = match next_rows(&db, read, Some(after)).await {
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
    Ok(csv_response(csv.file_name).streaming(futures_util::StreamExt::chain(body, rest)))
}

fn csv_response(file_name: &str) -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.content_type("text/csv; charset=utf-8").insert_header((
        CONTENT_DISPOSITION,
        format!("attachment; filename=\"{file_name}\""),
    ));
    response
}

async fn next_rows<T, C, R>(db: &Db, read: Arc<R>, after: Option<C>) -> Result<Rows<T, C>, ApiError>
where
    T: Send + 'static,
    C: Send + 'static,
    R: ReadRows<T, C>,
{
    db.read(move |conn| read(conn, after, ROWS_PER_READ)).await
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
