//! SQL built at run time (lists of values, optional filters), with each
//! engine's own parameters: numbered, `$1`, `$2` ..., for PostgreSQL (sqlx's
//! own `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL
//! refuses) and anonymous, `?`, for SQLite. SQLite reads `$n` as a *named*
//! parameter, and sqlx asks each parameter's name while binding, which
//! SQLite finds by a linear search: a statement of n numbered parameters
//! costs n²/2 steps to bind (10 % of the issuer's CPU in a large
//! re-evaluation, docs/benchmarks.md); anonymous ones have no names to search.

use std::fmt::{Display, Write as _};

use sqlx::{
    Any, Arguments as _, Encode, FromRow, Type,
    any::{AnyArguments, AnyRow},
    query::{Query, QueryAs, QueryScalar},
};

use super::engine::Engine;
use crate::Error;

/// A SELECT's result as one value: a JSON array holding each row's
/// `columns` as an array, for [`from_json_rows`] to read (SQLite gives `[]`
/// for no rows, PostgreSQL NULL).
///
/// For reads of many small rows (a re-evaluation's visits and accounts):
/// sqlx makes each row an `AnyRow` with its own copy of every column's name
/// and value, and SQLite's rows cross from its worker thread one at a time,
/// so 20,000 residents' 100,000 visits took 751 ms as rows and 124 ms as
/// one JSON text per group of 500 (docs/benchmarks.md).
pub fn json_rows(engine: Engine, columns: &str) -> String {
    match engine {
        Engine::Sqlite => format!("json_group_array(json_array({columns}))"),
        Engine::Postgres => format!("json_agg(json_build_array({columns}))::text"),
    }
}

/// The rows of a [`json_rows`] value, each read as a `T` from its array.
///
/// # Errors
/// [`Error::Corrupt`] naming `what` if the text is not such an array of
/// `T`s: the database wrote it, so it was altered or the query is wrong.
pub fn from_json_rows<T: serde::de::DeserializeOwned>(
    text: Option<String>,
    what: &'static str,
) -> Result<Vec<T>, Error> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    serde_json::from_str(&text).map_err(|e| Error::Corrupt {
        what,
        value: e.to_string(),
    })
}

/// A statement and its bound values, built a piece at a time.
pub struct SqlBuilder<'args> {
    sql: String,
    arguments: AnyArguments<'args>,
    bound: usize,
    engine: Engine,
}

impl std::fmt::Debug for SqlBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlBuilder")
            .field("sql", &self.sql)
            .field("bound", &self.bound)
            .field("engine", &self.engine)
            .finish()
    }
}

impl<'args> SqlBuilder<'args> {
    /// A statement for `engine` that starts with `init`.
    pub fn new(engine: Engine, init: impl Into<String>) -> Self {
        SqlBuilder {
            sql: init.into(),
            arguments: AnyArguments::default(),
            bound: 0,
            engine,
        }
    }

    /// Appends SQL text (never a value from outside: bind those).
    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        let _ = write!(self.sql, "{sql}");
        self
    }

    /// Appends the next parameter (`$n`, or `?` on SQLite), bound to `value`.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'args + Encode<'args, Any> + Type<Any>,
    {
        self.bound += 1;
        match self.engine {
            Engine::Postgres => {
                let _ = write!(self.sql, "${}", self.bound);
            }
            Engine::Sqlite => self.sql.push('?'),
        }
        // Encoding into the Any buffer only copies the value; it cannot fail
        // for the types the store binds (text, integers, bytes, options).
        let _ = self.arguments.add(value);
        self
    }

    /// Pieces joined by `separator`.
    pub fn separated<'b>(&'b mut self, separator: &'static str) -> Separated<'b, 'args> {
        Separated {
            builder: self,
            separator,
            first: true,
        }
    }

    /// `VALUES (...), (...)`, each tuple written by `push_tuple`.
    pub fn push_values<I, F>(&mut self, tuples: I, mut push_tuple: F) -> &mut Self
    where
        I: IntoIterator,
        F: FnMut(Separated<'_, 'args>, I::Item),
    {
        self.push("VALUES ");
        for (i, tuple) in tuples.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push("(");
            push_tuple(self.separated(", "), tuple);
            self.push(")");
        }
        self
    }

    /// The statement, to execute.
    pub fn build<'q>(&'q mut self) -> Query<'q, Any, AnyArguments<'q>> {
        sqlx::query_with(&self.sql, std::mem::take(&mut self.arguments))
    }

    /// The statement, read into `T`s.
    pub fn build_query_as<'q, T>(&'q mut self) -> QueryAs<'q, Any, T, AnyArguments<'q>>
    where
        T: for<'r> FromRow<'r, AnyRow>,
    {
        sqlx::query_as_with(&self.sql, std::mem::take(&mut self.arguments))
    }

    /// The statement, read as one value per row.
    pub fn build_query_scalar<'q, T>(&'q mut self) -> QueryScalar<'q, Any, T, AnyArguments<'q>>
    where
        (T,): for<'r> FromRow<'r, AnyRow>,
    {
        sqlx::query_scalar_with(&self.sql, std::mem::take(&mut self.arguments))
    }

    /// The SQL so far.
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// Pieces of a [`SqlBuilder`] joined by a separator.
#[derive(Debug)]
pub struct Separated<'b, 'args> {
    builder: &'b mut SqlBuilder<'args>,
    separator: &'static str,
    first: bool,
}

impl<'args> Separated<'_, 'args> {
    fn before(&mut self) {
        if !self.first {
            self.builder.push(self.separator);
        }
        self.first = false;
    }

    /// Appends SQL text after a separator (none before the first piece).
    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        self.before();
        self.builder.push(sql);
        self
    }

    /// Appends a bound value after a separator.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'args + Encode<'args, Any> + Type<Any>,
    {
        self.before();
        self.builder.push_bind(value);
        self
    }

    /// Appends SQL text with no separator before it.
    pub fn push_unseparated(&mut self, sql: impl Display) -> &mut Self {
        self.builder.push(sql);
        self
    }

    /// Appends a bound value with no separator before it.
    pub fn push_bind_unseparated<T>(&mut self, value: T) -> &mut Self
    where
        T: 'args + Encode<'args, Any> + Type<Any>,
    {
        self.builder.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rows_are_read_as_rows_and_a_bad_text_is_named_corruption() -> Result<(), Error> {
        type Row = (String, i64, Option<String>);
        let rows: Vec<Row> =
            from_json_rows(Some(r#"[["a",1,null],["好運",2,"x"]]"#.into()), "a row")?;
        assert_eq!(
            rows,
            [("a".into(), 1, None), ("好運".into(), 2, Some("x".into()))]
        );
        let none: Vec<Row> = from_json_rows(None, "a row")?;
        assert!(none.is_empty(), "PostgreSQL's NULL for no rows");
        for bad in [r#"[["a","1",null]]"#, "[[", r#"{"a":1}"#] {
            let read = from_json_rows::<Row>(Some(bad.into()), "a row");
            assert!(
                matches!(read, Err(Error::Corrupt { what: "a row", .. })),
                "{bad}: {read:?}"
            );
        }
        Ok(())
    }

    fn example(engine: Engine) -> String {
        let mut query = SqlBuilder::new(engine, "INSERT INTO t (a, b) ");
        query.push_values([(1_i64, "x"), (2, "y")], |mut row, (a, b)| {
            row.push_bind(a).push_bind(b);
        });
        query.push(" WHERE c IN (");
        let mut list = query.separated(", ");
        list.push_bind(3_i64);
        list.push_bind(4_i64);
        list.push_unseparated(")");
        query.sql().to_owned()
    }

    #[test]
    fn postgres_parameters_are_numbered_in_the_order_they_are_bound() {
        assert_eq!(
            example(Engine::Postgres),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) WHERE c IN ($5, $6)"
        );
    }

    #[test]
    fn sqlite_parameters_are_anonymous_and_taken_in_order() {
        assert_eq!(
            example(Engine::Sqlite),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) WHERE c IN (?, ?)"
        );
    }
}
