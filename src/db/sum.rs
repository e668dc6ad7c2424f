//! `SUM` of a whole-đồng column as a `BIGINT`, zero over no rows, on both backends.
//!
//! Diesel's own `sum` of a `BIGINT` is a `NUMERIC` on PostgreSQL, and a fragment written as SQL text
//! is never kept as a prepared statement, so every request that summed money made PostgreSQL parse
//! and plan its statement afresh. This expression prints the same SQL but carries a static query
//! id, so statements that use it stay prepared.

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping, is_aggregate};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, SqlType};

/// `CAST(COALESCE(SUM(expr), 0) AS BIGINT)`.
#[derive(Debug, Clone, Copy, QueryId)]
pub struct SumBigInt<E>(pub E);

/// The sum of `expr` over the group (or the whole selection), 0 when there are no rows.
pub fn sum_bigint<E>(expr: E) -> SumBigInt<E>
where
    E: Expression,
    E::SqlType: SqlType,
{
    SumBigInt(expr)
}

impl<E: Expression> Expression for SumBigInt<E> {
    type SqlType = BigInt;
}

impl<E, GB> ValidGrouping<GB> for SumBigInt<E> {
    type IsAggregate = is_aggregate::Yes;
}

impl<E: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for SumBigInt<E> {}

impl<E: SelectableExpression<QS>, QS> SelectableExpression<QS> for SumBigInt<E> {}

impl<E: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for SumBigInt<E> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("CAST(COALESCE(SUM(");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql("), 0) AS BIGINT)");
        Ok(())
    }
}
