//! SQL built at run time (lists of values, optional filters) with numbered
//! parameters, `$1`, `$2` ..., which both engines read. sqlx's own
//! `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL refuses;
//! this is the same interface, numbering instead.

use std::fmt::{Display, Write as _};

use sqlx::{
    Any, Arguments as _, Encode, FromRow, Type,
    any::{AnyArguments, AnyRow},
    query::{Query, QueryAs, QueryScalar},
};

/// A statement and its bound values, built a piece at a time.
pub struct SqlBuilder<'args> {
    sql: String,
    arguments: AnyArguments<'args>,
    bound: usize,
}

impl std::fmt::Debug for SqlBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlBuilder")
            .field("sql", &self.sql)
            .field("bound", &self.bound)
            .finish()
    }
}

impl<'args> SqlBuilder<'args> {
    /// A statement that starts with `init`.
    pub fn new(init: impl Into<String>) -> Self {
        SqlBuilder {
            sql: init.into(),
            arguments: AnyArguments::default(),
            bound: 0,
        }
    }

    /// Appends SQL text (never a value from outside: bind those).
    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        let _ = write!(self.sql, "{sql}");
        self
    }

    /// Appends the next parameter, `$n`, bound to `value`.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'args + Encode<'args, Any> + Type<Any>,
    {
        self.bound += 1;
        let _ = write!(self.sql, "${}", self.bound);
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
    fn parameters_are_numbered_in_the_order_they_are_bound() {
        let mut query = SqlBuilder::new("INSERT INTO t (a, b) ");
        query.push_values([(1_i64, "x"), (2, "y")], |mut row, (a, b)| {
            row.push_bind(a).push_bind(b);
        });
        query.push(" WHERE c IN (");
        let mut list = query.separated(", ");
        list.push_bind(3_i64);
        list.push_bind(4_i64);
        list.push_unseparated(")");
        assert_eq!(
            query.sql(),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) WHERE c IN ($5, $6)"
        );
    }
}
