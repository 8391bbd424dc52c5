//! A small GraphQL query parser: operations, variables, fields with aliases and arguments,
//! inline fragments. Enough to answer exactly what a query selects; fragment spreads,
//! directives and mutations are refused (the probe sends none).

use serde_json::{Map, Value};

/// A parsed selection: a field or an inline fragment.
#[derive(Debug, Clone)]
pub enum Selection {
    /// `alias: name(args) { ... }`.
    Field(Field),
    /// `... on Type { ... }` (or a bare `... { ... }`).
    Inline {
        /// The type condition, if any.
        on: Option<String>,
        /// What it selects.
        selections: Vec<Selection>,
    },
}

/// A selected field.
#[derive(Debug, Clone)]
pub struct Field {
    /// The alias, if any (the response key).
    pub alias: Option<String>,
    /// The field name.
    pub name: String,
    /// Arguments, variables already substituted, enum values as strings.
    pub args: Map<String, Value>,
    /// Sub-selections (empty for scalars).
    pub selections: Vec<Selection>,
    /// 1-based line of the field in the query (for error `locations`).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Field {
    /// The key this field has in the response.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// A parsed operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The operation name, if any.
    pub name: Option<String>,
    /// The root selections.
    pub selections: Vec<Selection>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Punct(char),
    Spread,
    Str(String),
    Num(String),
}

struct Lexer {
    toks: Vec<(Tok, usize, usize)>,
    pos: usize,
}

fn lex(src: &str) -> Result<Vec<(Tok, usize, usize)>, String> {
    let chars: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut col) = (0, 1, 1);
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        let (l, co) = (line, col);
        let advance = |n: usize, col: &mut usize| *col += n;
        match c {
            '\n' => {
                line += 1;
                col = 1;
                i += 1;
            }
            ' ' | '\t' | '\r' | ',' | '\u{feff}' => {
                advance(1, &mut col);
                i += 1;
            }
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '.' if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') => {
                out.push((Tok::Spread, l, co));
                i += 3;
                col += 3;
            }
            '{' | '}' | '(' | ')' | ':' | '$' | '!' | '[' | ']' | '=' | '@' => {
                out.push((Tok::Punct(c), l, co));
                i += 1;
                col += 1;
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                col += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                        col += 1;
                    }
                    if let Some(&ch) = chars.get(i) {
                        s.push(ch);
                    }
                    i += 1;
                    col += 1;
                }
                if i >= chars.len() {
                    return Err(format!("Parse error on unterminated string (line {l})"));
                }
                i += 1;
                col += 1;
                out.push((Tok::Str(s), l, co));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
                col += i - start;
                out.push((Tok::Num(chars[start..i].iter().collect()), l, co));
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                col += i - start;
                out.push((Tok::Name(chars[start..i].iter().collect()), l, co));
            }
            other => {
                return Err(format!(
                    "Parse error on \"{other}\" (line {l}, column {co})"
                ));
            }
        }
    }
    Ok(out)
}

/// Parses `query` and returns the operation named `operation` (or the only/first one), with
/// `variables` substituted into arguments.
pub fn parse(
    query: &str,
    operation: Option<&str>,
    variables: &Map<String, Value>,
) -> Result<Operation, String> {
    let mut lx = Lexer {
        toks: lex(query)?,
        pos: 0,
    };
    let mut ops = Vec::new();
    while lx.peek().is_some() {
        ops.push(lx.operation(variables)?);
    }
    if ops.is_empty() {
        return Err("Parse error: the query contains no operation".into());
    }
    match operation {
        Some(wanted) => ops
            .into_iter()
            .find(|o| o.name.as_deref() == Some(wanted))
            .ok_or_else(|| format!("Unknown operation named \"{wanted}\"")),
        None if ops.len() == 1 => Ok(ops.remove(0)),
        None => {
            Err("An operation name is required when the document has several operations".into())
        }
    }
}

impl Lexer {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn next(&mut self) -> Result<(Tok, usize, usize), String> {
        let t = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or("Parse error on end of query")?;
        self.pos += 1;
        Ok(t)
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next()? {
            (Tok::Punct(p), _, _) if p == c => Ok(()),
            (t, l, co) => Err(format!(
                "Parse error on {t:?} (line {l}, column {co}): expected \"{c}\""
            )),
        }
    }

    fn name(&mut self) -> Result<String, String> {
        match self.next()? {
            (Tok::Name(n), _, _) => Ok(n),
            (t, l, co) => Err(format!(
                "Parse error on {t:?} (line {l}, column {co}): expected a name"
            )),
        }
    }

    fn operation(&mut self, vars: &Map<String, Value>) -> Result<Operation, String> {
        let mut name = None;
        if let Some(Tok::Name(kw)) = self.peek() {
            match kw.as_str() {
                "query" => {}
                "fragment" => {
                    return Err("Fragment definitions are not supported by this mock".into());
                }
                other => {
                    return Err(format!(
                        "Operation type \"{other}\" is not supported by this mock"
                    ));
                }
            }
            self.pos += 1;
            if let Some(Tok::Name(_)) = self.peek() {
                name = Some(self.name()?);
            }
            if self.peek() == Some(&Tok::Punct('(')) {
                self.skip_group('(', ')')?;
            }
        }
        let selections = self.selection_set(vars)?;
        Ok(Operation { name, selections })
    }

    fn skip_group(&mut self, open: char, close: char) -> Result<(), String> {
        self.expect(open)?;
        let mut depth = 1;
        while depth > 0 {
            match self.next()?.0 {
                Tok::Punct(c) if c == open => depth += 1,
                Tok::Punct(c) if c == close => depth -= 1,
                _ => {}
            }
        }
        Ok(())
    }

    fn selection_set(&mut self, vars: &Map<String, Value>) -> Result<Vec<Selection>, String> {
        self.expect('{')?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::Punct('}')) => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(Tok::Spread) => {
                    self.pos += 1;
                    let on = match self.peek() {
                        Some(Tok::Name(n)) if n == "on" => {
                            self.pos += 1;
                            Some(self.name()?)
                        }
                        Some(Tok::Name(n)) => {
                            return Err(format!(
                                "Fragment spread \"{n}\" is not supported by this mock"
                            ));
                        }
                        _ => None,
                    };
                    out.push(Selection::Inline {
                        on,
                        selections: self.selection_set(vars)?,
                    });
                }
                Some(_) => out.push(Selection::Field(self.field(vars)?)),
                None => return Err("Parse error on end of query: expected \"}\"".into()),
            }
        }
    }

    fn field(&mut self, vars: &Map<String, Value>) -> Result<Field, String> {
        let (line, column) = self
            .toks
            .get(self.pos)
            .map(|t| (t.1, t.2))
            .unwrap_or((0, 0));
        let mut name = self.name()?;
        let mut alias = None;
        if self.peek() == Some(&Tok::Punct(':')) {
            self.pos += 1;
            alias = Some(name);
            name = self.name()?;
        }
        let mut args = Map::new();
        if self.peek() == Some(&Tok::Punct('(')) {
            self.pos += 1;
            while self.peek() != Some(&Tok::Punct(')')) {
                let key = self.name()?;
                self.expect(':')?;
                args.insert(key, self.value(vars)?);
            }
            self.pos += 1;
        }
        if self.peek() == Some(&Tok::Punct('@')) {
            return Err("Directives are not supported by this mock".into());
        }
        let selections = if self.peek() == Some(&Tok::Punct('{')) {
            self.selection_set(vars)?
        } else {
            Vec::new()
        };
        Ok(Field {
            alias,
            name,
            args,
            selections,
            line,
            column,
        })
    }

    fn value(&mut self, vars: &Map<String, Value>) -> Result<Value, String> {
        match self.next()? {
            (Tok::Punct('$'), _, _) => Ok(vars.get(&self.name()?).cloned().unwrap_or(Value::Null)),
            (Tok::Str(s), _, _) => Ok(Value::String(s)),
            (Tok::Num(n), l, co) => serde_json::from_str(&n)
                .map_err(|_| format!("Parse error on number {n} (line {l}, column {co})")),
            (Tok::Name(n), _, _) => Ok(match n.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => Value::String(n),
            }),
            (Tok::Punct('['), _, _) => {
                let mut items = Vec::new();
                while self.peek() != Some(&Tok::Punct(']')) {
                    items.push(self.value(vars)?);
                }
                self.pos += 1;
                Ok(Value::Array(items))
            }
            (Tok::Punct('{'), _, _) => {
                let mut obj = Map::new();
                while self.peek() != Some(&Tok::Punct('}')) {
                    let key = self.name()?;
                    self.expect(':')?;
                    obj.insert(key, self.value(vars)?);
                }
                self.pos += 1;
                Ok(Value::Object(obj))
            }
            (t, l, co) => Err(format!(
                "Parse error on {t:?} (line {l}, column {co}): expected a value"
            )),
        }
    }
}
