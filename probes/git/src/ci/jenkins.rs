//! Jenkinsfiles, declarative (`pipeline { stages { stage('x') { ... } } }`) and
//! scripted (`node { stage('x') { ... } }`).
//!
//! A Jenkinsfile is Groovy, and no maintained Groovy parser exists in Rust. What the
//! facts need is small — which stages exist, on which lines, which shell steps they run,
//! under which `when`/`input`, which shared libraries they load — so this module has its
//! own scanner: a tokenizer that knows Groovy's strings and comments, and a parser that
//! only understands "name args { block }" statements.
//!
//! What the scanner knows: `'…'`, `"…"` (with `${…}` interpolation holding braces and
//! strings), `'''…'''`, `"""…"""`, backslash escapes, `//` and `/* */` comments, a `#!`
//! first line, nested `()`, `[]` and `{}`.
//!
//! Its limits, by design: slashy strings (`/re/`) and dollar-slashy strings (`$/…/$`)
//! are read as operators and words, so a brace or quote inside one can confuse the
//! structure (they are rare in pipelines, and an unbalanced result is reported as an
//! error rather than guessed); Groovy semantics (variables, methods defined in the file,
//! `load`ed scripts, shared-library steps) are not evaluated, so a stage whose command
//! comes from a variable shows no kind; nesting deeper than `MAX_DEPTH` blocks is not
//! descended into.
//!
//! Triggers mostly live in the Jenkins job, not the file. Branch conditions (`when {
//! branch … }`, `env.BRANCH_NAME`) only make sense in a multibranch pipeline, which
//! builds every pushed branch: with them, stages get push triggers narrowed by their
//! conditions; without them the triggers are `external-trigger` and the file says so in
//! a note. `triggers { cron(…) }` and `pipelineTriggers([cron(…)])` are schedules.

use super::classify::{Detection, Hit, Kind, Observed};
use super::support::{self, Parsed};
use super::{CiFile, JobDraft, Triggers};
use crate::evidence::{EvidenceBook, SourceFile};

/// The `system` value of Jenkins facts.
pub(crate) const SYSTEM: &str = "jenkins";

/// Deepest block nesting descended into; deeper blocks are skipped, not parsed, so a
/// hostile file cannot exhaust the stack.
const MAX_DEPTH: usize = 64;
/// Deepest `${…}` interpolation nesting inside strings.
const MAX_INTERPOLATION_DEPTH: usize = 16;

/// Whether `path` is a Jenkinsfile: `Jenkinsfile`, `Jenkinsfile.<x>`, `<x>.jenkinsfile`.
pub(crate) fn is_jenkinsfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Jenkinsfile"
        || name.starts_with("Jenkinsfile.")
        || name.to_ascii_lowercase().ends_with(".jenkinsfile")
}

// ----------------------------------------------------------------------------------
// Tokens

/// A string literal: its raw content (escapes kept) and the line the content starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Literal {
    /// The content between the quotes, as written.
    pub text: String,
    /// The line the content starts on (for `'''` strings, the line of the quotes).
    pub line: u32,
}

/// What a token is: the parser needs words, strings, brackets and statement ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// An identifier, dotted names kept whole (`docker.build`, `env.BRANCH_NAME`).
    Word(String),
    /// A string literal.
    Str(Literal),
    /// `(`, `[` or `{`.
    Open(char),
    /// `)`, `]` or `}`.
    Close(char),
    /// `,`.
    Comma,
    /// `;`.
    Semi,
    /// A line end (ends a statement unless the statement continues).
    Newline,
    /// Any other character.
    Op(char),
}

/// A token with the line it starts on, so statements can cite their lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// The token.
    pub tok: Tok,
    /// Its one-based line.
    pub line: u32,
}

/// Why a Jenkinsfile could not be read, with the line to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not parse Jenkinsfile at line {line}: {message}")]
pub(crate) struct ScanError {
    /// The line to look at (where the unclosed thing opened).
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: u32,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied()?;
        self.pos += 1;
        if c == '\n' {
            self.line = self.line.saturating_add(1);
        }
        Some(c)
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars().enumerate().all(|(i, c)| self.peek(i) == Some(c))
    }

    /// Reads a string whose opening quote(s) were consumed; `quote` is the delimiter.
    fn string(&mut self, quote: &str, gstring: bool, depth: usize) -> Result<String, ScanError> {
        let start = self.line;
        let mut out = String::new();
        loop {
            if self.starts_with(quote) {
                for _ in 0..quote.chars().count() {
                    self.bump();
                }
                return Ok(out);
            }
            let Some(c) = self.bump() else {
                return Err(ScanError {
                    line: start,
                    message: "string never closed".to_owned(),
                });
            };
            if c == '\n' && quote.chars().count() == 1 {
                return Err(ScanError {
                    line: start,
                    message: "string not closed on its line".to_owned(),
                });
            }
            out.push(c);
            if c == '\\' {
                if let Some(next) = self.bump() {
                    out.push(next);
                }
                continue;
            }
            if gstring && c == '$' && self.peek(0) == Some('{') {
                self.bump();
                out.push('{');
                out.push_str(&self.interpolation(depth + 1)?);
            }
        }
    }

    /// The rest of a `${…}` expression up to and including its closing brace.
    fn interpolation(&mut self, depth: usize) -> Result<String, ScanError> {
        let start = self.line;
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err(ScanError {
                line: start,
                message: "string interpolation nested too deep".to_owned(),
            });
        }
        let mut out = String::new();
        let mut braces = 1usize;
        while let Some(c) = self.bump() {
            match c {
                '{' => braces += 1,
                '}' => {
                    braces -= 1;
                    if braces == 0 {
                        out.push('}');
                        return Ok(out);
                    }
                }
                '\'' | '"' => {
                    let triple = self.peek(0) == Some(c) && self.peek(1) == Some(c);
                    let quote: String = if triple {
                        self.bump();
                        self.bump();
                        std::iter::repeat_n(c, 3).collect()
                    } else {
                        c.to_string()
                    };
                    let inner = self.string(&quote, c == '"', depth)?;
                    out.push_str(&quote);
                    out.push_str(&inner);
                    out.push_str(&quote);
                    continue;
                }
                _ => {}
            }
            out.push(c);
        }
        Err(ScanError {
            line: start,
            message: "string interpolation never closed".to_owned(),
        })
    }
}

/// Splits a Jenkinsfile into tokens, with their lines.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, ScanError> {
    let mut lx = Lexer {
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
    };
    let mut out = Vec::new();
    if lx.starts_with("#!") {
        while lx.peek(0).is_some_and(|c| c != '\n') {
            lx.bump();
        }
    }
    while let Some(c) = lx.peek(0) {
        let line = lx.line;
        let push = |out: &mut Vec<Token>, tok: Tok| out.push(Token { tok, line });
        match c {
            '\n' => {
                lx.bump();
                push(&mut out, Tok::Newline);
            }
            c if c.is_whitespace() => {
                lx.bump();
            }
            '/' if lx.peek(1) == Some('/') => {
                while lx.peek(0).is_some_and(|c| c != '\n') {
                    lx.bump();
                }
            }
            '/' if lx.peek(1) == Some('*') => {
                lx.bump();
                lx.bump();
                loop {
                    if lx.starts_with("*/") {
                        lx.bump();
                        lx.bump();
                        break;
                    }
                    if lx.bump().is_none() {
                        return Err(ScanError {
                            line,
                            message: "comment never closed".to_owned(),
                        });
                    }
                }
            }
            '\'' | '"' => {
                let triple = lx.peek(1) == Some(c) && lx.peek(2) == Some(c);
                let quote: String = if triple {
                    std::iter::repeat_n(c, 3).collect()
                } else {
                    c.to_string()
                };
                for _ in 0..quote.len() {
                    lx.bump();
                }
                let text = lx.string(&quote, c == '"', 0)?;
                push(&mut out, Tok::Str(Literal { text, line }));
            }
            '{' | '(' | '[' => {
                lx.bump();
                push(&mut out, Tok::Open(c));
            }
            '}' | ')' | ']' => {
                lx.bump();
                push(&mut out, Tok::Close(c));
            }
            ',' => {
                lx.bump();
                push(&mut out, Tok::Comma);
            }
            ';' => {
                lx.bump();
                push(&mut out, Tok::Semi);
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let mut word = String::new();
                while let Some(c) = lx.peek(0) {
                    let dot_in_word = c == '.'
                        && lx
                            .peek(1)
                            .is_some_and(|n| n.is_alphanumeric() || n == '_' || n == '$');
                    if c.is_alphanumeric() || c == '_' || c == '$' || dot_in_word {
                        word.push(c);
                        lx.bump();
                    } else {
                        break;
                    }
                }
                push(&mut out, Tok::Word(word));
            }
            other => {
                lx.bump();
                push(&mut out, Tok::Op(other));
            }
        }
    }
    Ok(out)
}

// ----------------------------------------------------------------------------------
// Statements

/// One `name args { body }` statement.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stmt {
    /// The first word, when the statement starts with one (`stage`, `sh`, `if`).
    pub name: Option<String>,
    /// The line it starts on.
    pub line: u32,
    /// The line it ends on (its closing brace, when it has a body).
    pub end_line: u32,
    /// Tokens after the name, closures inside them excluded.
    pub args: Vec<Token>,
    /// Closures passed inside the arguments (`parallel(a: { … })`).
    pub arg_blocks: Vec<Vec<Stmt>>,
    /// The trailing closure.
    pub body: Option<Vec<Stmt>>,
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    /// Statements up to the `}` closing this block (consumed) or the end.
    fn block(&mut self, depth: usize) -> Vec<Stmt> {
        let mut out = Vec::new();
        while let Some(token) = self.peek() {
            match token.tok {
                Tok::Newline | Tok::Semi => self.pos += 1,
                Tok::Close('}') => {
                    self.pos += 1;
                    return out;
                }
                _ => {
                    let before = self.pos;
                    let stmt = self.statement(depth);
                    out.push(stmt);
                    if self.pos == before {
                        // Nothing consumed (a stray closer): skip it.
                        self.pos += 1;
                    }
                }
            }
        }
        out
    }

    /// Skips a block nested too deep, keeping the braces balanced.
    fn skip_block(&mut self) -> u32 {
        let mut braces = 1usize;
        let mut last = self.peek().map_or(0, |t| t.line);
        while let Some(token) = self.peek().cloned() {
            last = token.line;
            self.pos += 1;
            match token.tok {
                Tok::Open('{') => braces += 1,
                Tok::Close('}') => {
                    braces -= 1;
                    if braces == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
        last
    }

    fn statement(&mut self, depth: usize) -> Stmt {
        let mut stmt = Stmt {
            line: self.peek().map_or(0, |t| t.line),
            ..Stmt::default()
        };
        stmt.end_line = stmt.line;
        if let Some(Token {
            tok: Tok::Word(w), ..
        }) = self.peek()
        {
            stmt.name = Some(w.clone());
            self.pos += 1;
        }
        let mut parens = 0usize;
        while let Some(token) = self.peek().cloned() {
            match &token.tok {
                Tok::Newline | Tok::Semi if parens == 0 => {
                    if matches!(token.tok, Tok::Newline) && self.continues(&stmt) {
                        self.pos += 1;
                        continue;
                    }
                    return stmt;
                }
                Tok::Newline => {
                    self.pos += 1;
                }
                Tok::Close('}') => return stmt,
                Tok::Open('{') => {
                    self.pos += 1;
                    let (block, end) = if depth >= MAX_DEPTH {
                        let end = self.skip_block();
                        (Vec::new(), end)
                    } else {
                        let block = self.block(depth + 1);
                        let end = self
                            .tokens
                            .get(self.pos.saturating_sub(1))
                            .map_or(token.line, |t| t.line);
                        (block, end)
                    };
                    stmt.end_line = end;
                    if parens == 0 {
                        stmt.body = Some(block);
                        return stmt;
                    }
                    stmt.arg_blocks.push(block);
                }
                Tok::Open(_) => {
                    parens += 1;
                    stmt.end_line = token.line;
                    stmt.args.push(token);
                    self.pos += 1;
                }
                Tok::Close(_) => {
                    parens = parens.saturating_sub(1);
                    stmt.end_line = token.line;
                    stmt.args.push(token);
                    self.pos += 1;
                }
                _ => {
                    stmt.end_line = token.line;
                    stmt.args.push(token);
                    self.pos += 1;
                }
            }
        }
        stmt
    }

    /// Whether a newline continues the statement: after a comma, an operator or a
    /// colon, or before a `.method()` chain.
    fn continues(&self, stmt: &Stmt) -> bool {
        let last_continues = matches!(
            stmt.args.last().map(|t| &t.tok),
            Some(Tok::Comma | Tok::Op('+' | '=' | ':' | '&' | '|' | '?' | '.'))
        );
        let next = self.tokens[self.pos + 1..]
            .iter()
            .find(|t| !matches!(t.tok, Tok::Newline));
        last_continues || matches!(next.map(|t| &t.tok), Some(Tok::Op('.')))
    }
}

/// Parses tokens into statements.
pub(crate) fn parse(tokens: Vec<Token>) -> Vec<Stmt> {
    let mut parser = Parser { tokens, pos: 0 };
    let mut out = Vec::new();
    while parser.pos < parser.tokens.len() {
        out.extend(parser.block(0));
    }
    out
}

/// Checks that brackets balance, naming the line of the first one that does not.
fn check_balance(tokens: &[Token]) -> Result<(), ScanError> {
    let mut stack: Vec<(char, u32)> = Vec::new();
    for t in tokens {
        match t.tok {
            Tok::Open(c) => stack.push((c, t.line)),
            Tok::Close(c) => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                match stack.pop() {
                    Some((open, _)) if open == want => {}
                    Some((open, line)) => {
                        return Err(ScanError {
                            line: t.line,
                            message: format!("`{c}` closes the `{open}` of line {line}"),
                        });
                    }
                    None => {
                        return Err(ScanError {
                            line: t.line,
                            message: format!("`{c}` closes nothing"),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    match stack.pop() {
        Some((open, line)) => Err(ScanError {
            line,
            message: format!("`{open}` never closed"),
        }),
        None => Ok(()),
    }
}

// ----------------------------------------------------------------------------------
// Pipeline semantics

fn words(stmt: &Stmt) -> impl Iterator<Item = &str> {
    stmt.args.iter().filter_map(|t| match &t.tok {
        Tok::Word(w) => Some(w.as_str()),
        _ => None,
    })
}

/// The value of `key: '…'` in the arguments, or the first positional string.
fn string_arg<'s>(stmt: &'s Stmt, key: Option<&str>) -> Option<&'s Literal> {
    let args = &stmt.args;
    if let Some(key) = key {
        for (i, t) in args.iter().enumerate() {
            if t.tok == Tok::Word(key.to_owned())
                && matches!(args.get(i + 1).map(|t| &t.tok), Some(Tok::Op(':')))
                && let Some(Token {
                    tok: Tok::Str(lit), ..
                }) = args.get(i + 2)
            {
                return Some(lit);
            }
        }
    }
    args.iter().enumerate().find_map(|(i, t)| match &t.tok {
        Tok::Str(lit) if i == 0 || !matches!(args[i - 1].tok, Tok::Op(':')) => Some(lit),
        _ => None,
    })
}

fn children(stmt: &Stmt) -> impl Iterator<Item = &Stmt> {
    stmt.arg_blocks
        .iter()
        .flatten()
        .chain(stmt.body.iter().flatten())
}

fn any_in(stmts: &[Stmt], pred: &dyn Fn(&Stmt) -> bool) -> bool {
    stmts.iter().any(|s| pred(s) || any_in_children(s, pred))
}

fn any_in_children(stmt: &Stmt, pred: &dyn Fn(&Stmt) -> bool) -> bool {
    children(stmt).any(|c| pred(c) || any_in_children(c, pred))
}

fn is_named(stmt: &Stmt, name: &str) -> bool {
    stmt.name.as_deref() == Some(name)
}

/// Shell-step names whose string argument is a command.
const SHELL_STEPS: [&str; 4] = ["sh", "bat", "powershell", "pwsh"];

/// What a stage runs: its shell lines and the plugin steps evident recognises.
fn observe(stmt: &Stmt, out: &mut Vec<Observed>) {
    for child in children(stmt) {
        let name = child.name.as_deref().unwrap_or_default();
        if SHELL_STEPS.contains(&name) {
            if let Some(lit) = string_arg(child, Some("script")) {
                let numbered: Vec<(u32, String)> = lit
                    .text
                    .split('\n')
                    .enumerate()
                    .map(|(i, l)| {
                        (
                            lit.line
                                .saturating_add(u32::try_from(i).unwrap_or(u32::MAX)),
                            l.to_owned(),
                        )
                    })
                    .collect();
                support::observe_lines(&numbered, out);
            }
        } else if let Some(hit) = plugin_step(name) {
            out.push(Observed {
                detection: Detection {
                    hits: vec![hit],
                    local_cluster: false,
                },
                line: child.line,
                path: None,
            });
        }
        observe(child, out);
    }
}

/// Jenkins plugin steps whose name says what they do.
fn plugin_step(name: &str) -> Option<Hit> {
    let (kind, target) = match name {
        "junit" | "xunit" | "jacoco" => (Kind::Test, None),
        "dependencyCheck" | "dependencyCheckPublisher" | "snykSecurity" => (Kind::Security, None),
        "kubernetesDeploy" => (Kind::Deploy, Some("jenkins:kubernetesDeploy")),
        "docker.build" => (Kind::Build, None),
        _ => return None,
    };
    Some(Hit {
        kind,
        target: target.map(str::to_owned),
    })
}

/// The events a `when { … }` allows, or `None` when evident cannot tell.
fn when_events(conditions: &[Stmt], default_branch: &str) -> Option<Triggers> {
    let mut known: Option<Triggers> = None;
    for c in conditions {
        let Some(t) = condition_events(c, default_branch) else {
            continue;
        };
        known = Some(match known {
            None => t,
            Some(k) => support::intersect(&k, &t),
        });
    }
    known
}

fn condition_events(c: &Stmt, default_branch: &str) -> Option<Triggers> {
    let name = c.name.as_deref()?;
    let mut t = Triggers::default();
    match name {
        "branch" => {
            let pattern = string_arg(c, Some("pattern"))?.text.clone();
            let regexp = words(c).any(|w| w == "comparator")
                && c.args
                    .iter()
                    .any(|t| matches!(&t.tok, Tok::Str(l) if l.text == "REGEXP"));
            t.push_default_branch = if regexp {
                regex::Regex::new(&format!("^(?:{pattern})$"))
                    .is_ok_and(|re| re.is_match(default_branch))
            } else {
                support::pattern_matches(&pattern, default_branch)
            };
            t.push_other = pattern != default_branch;
        }
        "buildingTag" | "tag" => t.tag = true,
        "changeRequest" => t.pull_request = true,
        "triggeredBy" => {
            let cause = string_arg(c, Some("cause"))?.text.clone();
            if cause.contains("Timer") {
                t.schedule = true;
            } else if cause.contains("UserId") {
                t.manual = true;
            } else {
                return None;
            }
        }
        "anyOf" => {
            let mut any = Triggers::default();
            for child in c.body.iter().flatten() {
                any.merge(&condition_events(child, default_branch)?);
            }
            return Some(any);
        }
        "allOf" => return when_events(c.body.as_deref().unwrap_or_default(), default_branch),
        "not" => {
            // Only `not { branch 'x' }` is understood: every branch but those x matches.
            let [inner] = c.body.as_deref().unwrap_or_default() else {
                return None;
            };
            if !is_named(inner, "branch") {
                return None;
            }
            let matched = condition_events(inner, default_branch)?;
            t.push_default_branch = !matched.push_default_branch;
            t.push_other = true;
        }
        "expression" => {
            let tokens: Vec<Token> = c
                .body
                .iter()
                .flatten()
                .flat_map(|s| s.args.iter().cloned())
                .collect();
            return branch_test_events(&tokens, default_branch);
        }
        _ => return None,
    }
    Some(t)
}

/// A scripted `if (env.BRANCH_NAME == 'main')` condition as events.
fn if_events(stmt: &Stmt, default_branch: &str) -> Option<Triggers> {
    branch_test_events(&stmt.args, default_branch)
}

/// `env.BRANCH_NAME == 'x'` in an `if (…)` or `expression { … }` as events; a test
/// joined with `||` or negated is left alone (`None`).
fn branch_test_events(tokens: &[Token], default_branch: &str) -> Option<Triggers> {
    let mut text = String::new();
    for t in tokens {
        match &t.tok {
            Tok::Word(w) => text.push_str(w),
            Tok::Str(l) => {
                text.push('\'');
                text.push_str(&l.text);
                text.push('\'');
            }
            Tok::Op(c) | Tok::Open(c) | Tok::Close(c) => text.push(*c),
            _ => {}
        }
    }
    if text.contains("||") || text.contains("!=") || !text.contains("BRANCH_NAME") {
        return None;
    }
    let (_, rest) = text.split_once("BRANCH_NAME==")?;
    let branch = rest.strip_prefix('\'')?.split('\'').next()?;
    Some(Triggers {
        push_default_branch: branch == default_branch,
        push_other: branch != default_branch,
        ..Triggers::default()
    })
}

struct Context {
    triggers: Triggers,
    manual: bool,
    prefix: String,
}

struct Walker<'a> {
    path: &'a str,
    default_branch: &'a str,
    reuses: Vec<String>,
    jobs: Vec<JobDraft>,
}

impl Walker<'_> {
    /// Walks a sequence of statements; a stage asking for input gates what follows it.
    fn walk(&mut self, stmts: &[Stmt], ctx: &Context, parallel: bool, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let mut gated = ctx.manual;
        for stmt in stmts {
            let here = Context {
                triggers: ctx.triggers.clone(),
                manual: gated,
                prefix: ctx.prefix.clone(),
            };
            let asks = asks_for_input(stmt);
            if is_named(stmt, "stage") {
                self.stage(stmt, &here, depth);
            } else if is_named(stmt, "if") {
                let mut inner = here;
                if let Some(t) = if_events(stmt, self.default_branch) {
                    inner.triggers = support::intersect(&inner.triggers, &t);
                }
                self.walk_children(stmt, &inner, depth);
            } else {
                let is_parallel = is_named(stmt, "parallel");
                self.walk_inner(stmt, &here, is_parallel, depth);
            }
            if asks && !parallel {
                gated = true;
            }
        }
    }

    fn walk_children(&mut self, stmt: &Stmt, ctx: &Context, depth: usize) {
        self.walk_inner(stmt, ctx, false, depth);
    }

    fn walk_inner(&mut self, stmt: &Stmt, ctx: &Context, parallel: bool, depth: usize) {
        for block in &stmt.arg_blocks {
            self.walk(block, ctx, true, depth + 1);
        }
        if let Some(body) = &stmt.body {
            self.walk(body, ctx, parallel, depth + 1);
        }
    }

    fn stage(&mut self, stmt: &Stmt, ctx: &Context, depth: usize) {
        let name = string_arg(stmt, Some("name"))
            .map(|l| l.text.clone())
            .unwrap_or_else(|| format!("stage@{}", stmt.line));
        let body: &[Stmt] = stmt.body.as_deref().unwrap_or_default();
        let mut triggers = ctx.triggers.clone();
        if let Some(when) = body.iter().find(|s| is_named(s, "when"))
            && let Some(t) = when_events(
                when.body.as_deref().unwrap_or_default(),
                self.default_branch,
            )
        {
            triggers = support::intersect(&triggers, &t);
        }
        let manual = ctx.manual || asks_for_input(stmt);
        let key = if ctx.prefix.is_empty() {
            name.clone()
        } else {
            format!("{}/{name}", ctx.prefix)
        };
        let nested = any_in_children(stmt, &|s| is_named(s, "stage"));
        if nested {
            let inner = Context {
                triggers,
                manual,
                prefix: key,
            };
            let parallel = body.iter().any(|s| is_named(s, "parallel"));
            self.walk_inner(stmt, &inner, parallel, depth);
            return;
        }
        let mut key = key;
        let mut n = 1;
        while self.jobs.iter().any(|j| j.key == key) {
            n += 1;
            key = format!("{name}~{n}");
        }
        if manual {
            triggers.manual = true;
        }
        let mut draft = support::draft(
            SYSTEM,
            self.path,
            &key,
            &name,
            (stmt.line, stmt.end_line.max(stmt.line)),
            triggers,
        );
        draft.manual_only = manual;
        draft.reuses = self.reuses.clone();
        observe(stmt, &mut draft.observed);
        self.jobs.push(draft);
    }
}

/// An `input` directive or step anywhere in the statement.
fn asks_for_input(stmt: &Stmt) -> bool {
    is_named(stmt, "input") || any_in_children(stmt, &|s| is_named(s, "input"))
}

/// Shared libraries: `@Library('name@ref') _`, `library 'name'`, `library identifier: …`.
fn libraries(tokens: &[Token], stmts: &[Stmt]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        let item = format!("jenkins-library:{name}");
        if !out.contains(&item) {
            out.push(item);
        }
    };
    for (i, t) in tokens.iter().enumerate() {
        if t.tok != Tok::Op('@')
            || tokens.get(i + 1).map(|t| &t.tok) != Some(&Tok::Word("Library".to_owned()))
        {
            continue;
        }
        for next in tokens.iter().skip(i + 2) {
            match &next.tok {
                Tok::Str(lit) => push(&lit.text),
                Tok::Open(_) | Tok::Comma | Tok::Newline => {}
                Tok::Word(w) if w == "value" => {}
                Tok::Op(':') => {}
                _ => break,
            }
        }
    }
    fn visit(stmts: &[Stmt], push: &mut dyn FnMut(&str), depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        for s in stmts {
            if is_named(s, "library")
                && let Some(lit) = string_arg(s, Some("identifier"))
            {
                push(&lit.text);
            }
            for block in s.arg_blocks.iter().chain(s.body.iter()) {
                visit(block, push, depth + 1);
            }
        }
    }
    visit(stmts, &mut push, 0);
    out
}

/// Triggers declared in the file and whether branch conditions show a multibranch job.
fn base_triggers(tokens: &[Token], stmts: &[Stmt]) -> (Triggers, &'static str) {
    let mentions = |needle: &str| {
        tokens.iter().any(|t| match &t.tok {
            Tok::Word(w) => w == needle || w.ends_with(&format!(".{needle}")),
            Tok::Str(l) => l.text.contains(needle),
            _ => false,
        })
    };
    let branch_condition = any_in(stmts, &|s| {
        is_named(s, "when") && any_in_children(s, &|c| is_named(c, "branch"))
    });
    let multibranch = branch_condition || mentions("BRANCH_NAME");
    let mut t = if multibranch {
        Triggers {
            push_default_branch: true,
            push_other: true,
            pull_request: any_in(stmts, &|s| is_named(s, "changeRequest")) || mentions("CHANGE_ID"),
            tag: any_in(stmts, &|s| is_named(s, "buildingTag") || is_named(s, "tag"))
                || mentions("TAG_NAME"),
            ..Triggers::default()
        }
    } else {
        support::external()
    };
    let declared = |s: &Stmt| is_named(s, "triggers") || is_named(s, "properties");
    let mut names: Vec<String> = Vec::new();
    collect_trigger_names(stmts, &declared, &mut names, 0);
    for name in names {
        match name.as_str() {
            "cron" | "parameterizedCron" => t.schedule = true,
            "pollSCM" | "upstream" | "githubPush" | "GenericTrigger" | "gitlab"
            | "bitbucketPush" => t.add_other(&name),
            _ => {}
        }
    }
    let note = if multibranch {
        "branch conditions show a multibranch job, which builds every pushed branch; the Jenkins job's own settings (pull requests, tags, webhooks) were not read"
    } else {
        "triggers are configured in the Jenkins job, not in the Jenkinsfile; only triggers declared in the file were read"
    };
    (t, note)
}

fn collect_trigger_names(
    stmts: &[Stmt],
    declared: &dyn Fn(&Stmt) -> bool,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for s in stmts {
        if declared(s) {
            for child in s.body.iter().flatten() {
                if let Some(n) = &child.name {
                    out.push(n.clone());
                }
            }
            out.extend(words(s).map(str::to_owned));
        }
        for block in s.arg_blocks.iter().chain(s.body.iter()) {
            collect_trigger_names(block, declared, out, depth + 1);
        }
    }
}

/// Reads one Jenkinsfile into its stages.
pub(crate) fn scan(file: &SourceFile, book: &mut EvidenceBook<'_>, default_branch: &str) -> Parsed {
    let tokens = match tokenize(&file.text).and_then(|t| check_balance(&t).map(|()| t)) {
        Ok(tokens) => tokens,
        Err(e) => return Parsed::failed(file, SYSTEM, e.line, e.to_string(), book),
    };
    let stmts = parse(tokens.clone());
    let (triggers, note) = base_triggers(&tokens, &stmts);
    let mut walker = Walker {
        path: &file.path,
        default_branch,
        reuses: libraries(&tokens, &stmts),
        jobs: Vec::new(),
    };
    let ctx = Context {
        triggers: triggers.clone(),
        manual: false,
        prefix: String::new(),
    };
    walker.walk(&stmts, &ctx, false, 0);
    if walker.jobs.is_empty() {
        // A scripted pipeline without stages: the whole file is one job.
        let mut observed = Vec::new();
        for s in &stmts {
            let holder = Stmt {
                body: Some(vec![s.clone()]),
                ..Stmt::default()
            };
            observe(&holder, &mut observed);
        }
        if !observed.is_empty() {
            let start = stmts.first().map_or(1, |s| s.line);
            let end = stmts.last().map_or(start, |s| s.end_line.max(s.line));
            let mut draft = support::draft(
                SYSTEM,
                &file.path,
                "pipeline",
                "pipeline",
                (start, end),
                triggers,
            );
            draft.reuses = walker.reuses.clone();
            draft.observed = observed;
            walker.jobs.push(draft);
        }
    }
    Parsed {
        file: CiFile {
            path: file.path.clone(),
            system: SYSTEM,
            evidence: book.cite_file(file),
            error: None,
            note: Some(note.to_owned()),
        },
        jobs: walker.jobs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(text: &str) -> Vec<(String, u32)> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Str(l) => Some((l.text, l.line)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn strings_comments_and_interpolation() {
        let text = "// sh 'no'\nsh 'a } b' /* { */\nsh \"x ${y.collect { \"}\" }} z\"\nsh '''\n  make\n'''\n";
        let got = strs(text);
        assert_eq!(got[0], ("a } b".to_owned(), 2));
        assert_eq!(got[1].1, 3);
        assert!(got[1].0.contains("${y.collect"));
        assert_eq!(got[2], ("\n  make\n".to_owned(), 4));
        let tokens = tokenize(text).unwrap();
        assert!(check_balance(&tokens).is_ok());
    }

    #[test]
    fn errors_name_the_line() {
        let e = tokenize("a\nsh 'open\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = tokenize("a\n/* never\n").unwrap_err();
        assert_eq!(e.line, 2);
        let t = tokenize("pipeline {\n  stages {\n").unwrap();
        assert_eq!(check_balance(&t).unwrap_err().line, 2);
        let t = tokenize("a }\n").unwrap();
        assert_eq!(check_balance(&t).unwrap_err().line, 1);
    }

    #[test]
    fn statements_nest() {
        let stmts = parse(
            tokenize(
                "node {\n  stage('b') {\n    sh(script: 'x',\n       returnStdout: true)\n  }\n}\n",
            )
            .unwrap(),
        );
        assert_eq!(stmts.len(), 1);
        let stage = &stmts[0].body.as_ref().unwrap()[0];
        assert_eq!(stage.name.as_deref(), Some("stage"));
        assert_eq!((stage.line, stage.end_line), (2, 5));
        let sh = &stage.body.as_ref().unwrap()[0];
        assert_eq!((sh.line, sh.end_line), (3, 4));
        assert_eq!(string_arg(sh, Some("script")).unwrap().text, "x");
    }

    fn when_of(text: &str) -> Option<Triggers> {
        let stmts = parse(tokenize(text).unwrap());
        when_events(stmts[0].body.as_deref().unwrap_or_default(), "main")
    }

    #[test]
    fn when_conditions() {
        let t = when_of("when { branch 'main' }").unwrap();
        assert!(t.push_default_branch && !t.push_other);
        let t = when_of("when { not { branch 'main' } }").unwrap();
        assert!(!t.push_default_branch && t.push_other);
        let t = when_of("when { anyOf { branch 'release/*'; buildingTag() } }").unwrap();
        assert!(!t.push_default_branch && t.push_other && t.tag);
        let t = when_of(
            "when {\n  beforeAgent true\n  expression { return env.BRANCH_NAME == 'main' }\n}",
        )
        .unwrap();
        assert!(t.push_default_branch && !t.push_other);
        let t = when_of("when { branch pattern: 'ma.*', comparator: 'REGEXP' }").unwrap();
        assert!(t.push_default_branch);
        assert!(when_of("when { environment name: 'X', value: 'y' }").is_none());
        assert!(when_of("when { expression { env.BRANCH_NAME != 'main' } }").is_none());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = format!("{}{}", "a {\n".repeat(10_000), "}\n".repeat(10_000));
        let tokens = tokenize(&text).unwrap();
        let _ = parse(tokens);
        let text = format!("sh \"{}\"", "${\"".repeat(100));
        assert!(tokenize(&text).is_err());
    }
}
