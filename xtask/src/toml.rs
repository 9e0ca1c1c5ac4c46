//! The subset of TOML that `modules.toml` uses: `[[table]]` headers, `key = "string"`,
//! `key = ["list", "of", "strings"]`, `key = true|false` and `#` comments. A parser of our own, so
//! that xtask builds from std alone.

use crate::util::Res;

pub type Entry = (String, usize, Vec<(String, Value)>);

#[derive(Debug, Clone)]
pub enum Value {
    Str(String),
    List(Vec<String>),
    Bool(bool),
}

pub struct Fields {
    line: usize,
    fields: Vec<(String, Value)>,
}

impl Fields {
    pub fn new(line: usize, fields: Vec<(String, Value)>) -> Fields {
        Fields { line, fields }
    }
    fn take(&mut self, key: &str) -> Option<Value> {
        let i = self.fields.iter().position(|(k, _)| k == key)?;
        Some(self.fields.remove(i).1)
    }
    pub fn opt_string(&mut self, key: &str) -> Res<Option<String>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(format!(
                "entry at line {}: {key} must be a string",
                self.line
            )),
        }
    }
    pub fn string(&mut self, key: &str) -> Res<String> {
        self.opt_string(key)?
            .ok_or_else(|| format!("entry at line {}: {key} missing", self.line))
    }
    pub fn list(&mut self, key: &str) -> Res<Vec<String>> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Value::List(l)) => Ok(l),
            Some(_) => Err(format!("entry at line {}: {key} must be a list", self.line)),
        }
    }
    pub fn boolean(&mut self, key: &str) -> Res<Option<bool>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(format!(
                "entry at line {}: {key} must be true or false",
                self.line
            )),
        }
    }
    pub fn done(self) -> Res<()> {
        match self.fields.first() {
            None => Ok(()),
            Some((k, _)) => Err(format!("entry at line {}: unknown key {k}", self.line)),
        }
    }
}

/// Splits the text into `[[kind]]` entries of `key = value` lines.
pub fn parse_entries(text: &str) -> Res<Vec<Entry>> {
    let mut out: Vec<Entry> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(kind) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
            out.push((kind.trim().to_string(), n, Vec::new()));
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {n}: expected `key = value` or `[[table]]`"));
        };
        let Some(entry) = out.last_mut() else {
            return Err(format!("line {n}: key outside of a [[table]]"));
        };
        let key = key.trim().to_string();
        if entry.2.iter().any(|(k, _)| *k == key) {
            return Err(format!("line {n}: {key} set twice"));
        }
        let value = parse_value(value.trim()).map_err(|e| format!("line {n}: {e}"))?;
        entry.2.push((key, value));
    }
    Ok(out)
}

/// Drops a `#` comment that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_str && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => in_str = !in_str,
            '#' if !in_str => return &line[..i],
            _ => {}
        }
        escaped = false;
    }
    line
}

fn parse_value(v: &str) -> Res<Value> {
    match v {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        _ => {}
    }
    if let Some(inner) = v.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        let mut items = Vec::new();
        let mut rest = inner.trim();
        while !rest.is_empty() {
            let (s, after) = parse_string(rest)?;
            items.push(s);
            rest = after.trim_start();
            if let Some(r) = rest.strip_prefix(',') {
                rest = r.trim_start();
            } else if !rest.is_empty() {
                return Err("expected `,` between list items".into());
            }
        }
        return Ok(Value::List(items));
    }
    let (s, rest) = parse_string(v)?;
    if !rest.trim().is_empty() {
        return Err("text after the string".into());
    }
    Ok(Value::Str(s))
}

/// A basic TOML string at the start of `v`; returns it and the text after it.
fn parse_string(v: &str) -> Res<(String, &str)> {
    let body = v
        .strip_prefix('"')
        .ok_or("expected a \"string\", a [list] or true/false")?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &body[i + 1..])),
            '\\' => match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                _ => return Err("unsupported escape in string".into()),
            },
            c => out.push(c),
        }
    }
    Err("unterminated string".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let e = parse_entries("[[a]]\nx = \"1 # 2\" # c\ny = [\"p\", \"q\",]\nz = true\n").unwrap();
        assert_eq!(e.len(), 1);
        let mut f = Fields::new(e[0].1, e[0].2.clone());
        assert_eq!(f.string("x").unwrap(), "1 # 2");
        assert_eq!(f.list("y").unwrap(), vec!["p", "q"]);
        assert_eq!(f.boolean("z").unwrap(), Some(true));
        f.done().unwrap();
        assert!(parse_entries("[[a]]\nx = 'single'").is_err());
        assert!(parse_entries("[[a]]\nx = \"a\" junk").is_err());
    }
}
