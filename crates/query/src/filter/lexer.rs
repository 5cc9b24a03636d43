//! The filter lexer: splits a `filters` value into tokens that carry character positions.
//!
//! It knows only five shapes: `(`, `)`, `,`, double-quoted strings (escapes resolved here) and
//! words, which are maximal runs of anything else but whitespace. Whether a word is a keyword,
//! a field, a number or a bare value is the parser's decision, made by position. Tokens are
//! produced on demand, so errors surface in left-to-right order.

use std::iter::Peekable;
use std::str::CharIndices;

use super::error::{Found, ParseError};

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TokenKind<'a> {
    OpenParen,
    CloseParen,
    Comma,
    /// A quoted string with its escapes resolved.
    Str(String),
    /// A run of characters that are not whitespace, parentheses, commas or quotes.
    Word(&'a str),
    End,
}

/// A token and the character offset where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token<'a> {
    pub kind: TokenKind<'a>,
    pub position: usize,
}

impl Token<'_> {
    /// Whether this is a word equal to `keyword`, ignoring ASCII case.
    pub fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.kind, TokenKind::Word(word) if word.eq_ignore_ascii_case(keyword))
    }

    /// An error saying this token is not what the grammar allows here.
    pub fn unexpected(self, expected: &'static str) -> ParseError {
        let found = match self.kind {
            TokenKind::OpenParen => Found::OpenParen,
            TokenKind::CloseParen => Found::CloseParen,
            TokenKind::Comma => Found::Comma,
            TokenKind::Str(s) => Found::String(s),
            TokenKind::Word(word) => Found::Word(word.to_owned()),
            TokenKind::End => Found::End,
        };
        ParseError::Unexpected {
            found,
            position: self.position,
            expected,
        }
    }
}

pub(super) struct Lexer<'a> {
    source: &'a str,
    chars: Peekable<CharIndices<'a>>,
    /// Characters consumed so far, i.e. the character offset of the next one.
    position: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(source: &'a str) -> Self {
        Lexer {
            source,
            chars: source.char_indices().peekable(),
            position: 0,
        }
    }

    pub fn next_token(&mut self) -> Result<Token<'a>, ParseError> {
        while self.peek_char().is_some_and(char::is_whitespace) {
            self.bump();
        }
        let position = self.position;
        let kind = match self.bump() {
            None => TokenKind::End,
            Some((_, '(')) => TokenKind::OpenParen,
            Some((_, ')')) => TokenKind::CloseParen,
            Some((_, ',')) => TokenKind::Comma,
            Some((_, '"')) => TokenKind::Str(self.string(position)?),
            Some((start, _)) => {
                while self.peek_char().is_some_and(is_word_char) {
                    self.bump();
                }
                let end = self.chars.peek().map_or(self.source.len(), |&(i, _)| i);
                TokenKind::Word(&self.source[start..end])
            }
        };
        Ok(Token { kind, position })
    }

    fn peek_char(&mut self) -> Option<char> {
        self.chars.peek().map(|&(_, c)| c)
    }

    fn bump(&mut self) -> Option<(usize, char)> {
        let next = self.chars.next();
        if next.is_some() {
            self.position += 1;
        }
        next
    }

    /// The rest of a string whose opening quote is at `open`.
    fn string(&mut self, open: usize) -> Result<String, ParseError> {
        let mut out = String::new();
        loop {
            let at = self.position;
            match self.bump() {
                None => return Err(ParseError::UnterminatedString { position: open }),
                Some((_, '"')) => return Ok(out),
                Some((_, '\\')) => out.push(self.escape(at, open)?),
                Some((_, c)) => out.push(c),
            }
        }
    }

    /// The character an escape stands for; its backslash, already consumed, is at `at`.
    fn escape(&mut self, at: usize, open: usize) -> Result<char, ParseError> {
        let Some((_, c)) = self.bump() else {
            return Err(ParseError::UnterminatedString { position: open });
        };
        Ok(match c {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => return self.unicode_escape(at),
            other => {
                return Err(ParseError::InvalidEscape {
                    sequence: format!("\\{other}"),
                    position: at,
                })
            }
        })
    }

    /// A `\uXXXX` escape, or a surrogate pair of two, after its `\u`.
    fn unicode_escape(&mut self, at: usize) -> Result<char, ParseError> {
        let high = self.hex4(at)?;
        let unpaired = |unit: u32, position| ParseError::UnpairedSurrogate {
            sequence: format!("\\u{unit:04X}"),
            position,
        };
        match high {
            0xD800..=0xDBFF => {
                let low_at = self.position;
                if self.peek_char() == Some('\\') {
                    self.bump();
                    if self.peek_char() == Some('u') {
                        self.bump();
                        let low = self.hex4(low_at)?;
                        if (0xDC00..=0xDFFF).contains(&low) {
                            let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                            return char::from_u32(code).ok_or_else(|| unpaired(high, at));
                        }
                    }
                }
                Err(unpaired(high, at))
            }
            0xDC00..=0xDFFF => Err(unpaired(high, at)),
            _ => char::from_u32(high).ok_or_else(|| unpaired(high, at)),
        }
    }

    /// Four hex digits after a `\u` whose backslash is at `at`.
    fn hex4(&mut self, at: usize) -> Result<u32, ParseError> {
        let mut sequence = String::from("\\u");
        let mut value = 0;
        for _ in 0..4 {
            let digit = self
                .peek_char()
                .and_then(|c| c.to_digit(16).map(|d| (c, d)));
            match digit {
                Some((c, d)) => {
                    self.bump();
                    sequence.push(c);
                    value = value * 16 + d;
                }
                None => {
                    if let Some(c) = self.peek_char().filter(|&c| c != '"') {
                        sequence.push(c);
                    }
                    return Err(ParseError::InvalidEscape {
                        sequence,
                        position: at,
                    });
                }
            }
        }
        Ok(value)
    }
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | ',' | '"')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(source: &str) -> Result<Vec<(TokenKind<'_>, usize)>, ParseError> {
        let mut lexer = Lexer::new(source);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token()?;
            let done = token.kind == TokenKind::End;
            out.push((token.kind, token.position));
            if done {
                return Ok(out);
            }
        }
    }

    #[test]
    fn splits_words_strings_and_punctuation_with_char_positions() {
        use TokenKind::*;
        assert_eq!(
            tokens(r#"status in ("A","B")"#).unwrap(),
            vec![
                (Word("status"), 0),
                (Word("in"), 7),
                (OpenParen, 10),
                (Str("A".into()), 11),
                (Comma, 14),
                (Str("B".into()), 15),
                (CloseParen, 18),
                (End, 19),
            ]
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let toks = tokens("name eq \"é✓\" x").unwrap();
        assert_eq!(toks[3], (TokenKind::Word("x"), 13));
        assert_eq!(toks[4], (TokenKind::End, 14));
    }

    #[test]
    fn words_stop_at_quotes_and_keep_timestamp_punctuation() {
        assert_eq!(
            tokens("created gt 2026-01-01T00:00:00+02:00").unwrap()[2].0,
            TokenKind::Word("2026-01-01T00:00:00+02:00")
        );
        let toks = tokens(r#"name eq"x""#).unwrap();
        assert_eq!(toks[1].0, TokenKind::Word("eq"));
        assert_eq!(toks[2].0, TokenKind::Str("x".into()));
    }

    #[test]
    fn resolves_escapes() {
        let toks = tokens(r#""a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00""#).unwrap();
        assert_eq!(
            toks[0].0,
            TokenKind::Str("a\"b\\c/d\u{8}\u{c}\n\r\té😀".into())
        );
    }

    #[test]
    fn unterminated_strings_point_at_the_opening_quote() {
        assert_eq!(
            tokens(r#"name eq "abc"#),
            Err(ParseError::UnterminatedString { position: 8 })
        );
        assert_eq!(
            tokens(r#"name eq "abc\"#),
            Err(ParseError::UnterminatedString { position: 8 })
        );
    }

    #[test]
    fn invalid_escapes_point_at_the_backslash() {
        assert_eq!(
            tokens(r#""ab\q""#),
            Err(ParseError::InvalidEscape {
                sequence: "\\q".into(),
                position: 3
            })
        );
        assert_eq!(
            tokens(r#""\u12G4""#),
            Err(ParseError::InvalidEscape {
                sequence: "\\u12G".into(),
                position: 1
            })
        );
        assert_eq!(
            tokens(r#""\u12""#),
            Err(ParseError::InvalidEscape {
                sequence: "\\u12".into(),
                position: 1
            })
        );
    }

    #[test]
    fn lone_surrogates_are_refused() {
        assert_eq!(
            tokens(r#""x\uD83D""#),
            Err(ParseError::UnpairedSurrogate {
                sequence: "\\uD83D".into(),
                position: 2
            })
        );
        assert_eq!(
            tokens(r#""\uDE00""#),
            Err(ParseError::UnpairedSurrogate {
                sequence: "\\uDE00".into(),
                position: 1
            })
        );
        assert_eq!(
            tokens(r#""\uD83D\u0041""#),
            Err(ParseError::UnpairedSurrogate {
                sequence: "\\uD83D".into(),
                position: 1
            })
        );
    }
}
