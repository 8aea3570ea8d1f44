//! The Markdown subset of narration texts and hotspot articles: paragraphs
//! with emphasis, strong emphasis and links, bullet and numbered lists, and
//! images. Anything else (headings, code, HTML, tables, quotes) is refused
//! by name, so a curator learns at `scene check` what the viewer cannot show.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// A parsed text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Markdown {
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
    /// An image; `src` is as written (relative to the scene file, or `shared:`).
    Image {
        alt: String,
        src: String,
    },
}

/// A run of text with one style.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inline {
    pub text: String,
    pub emphasis: bool,
    pub strong: bool,
    /// An `http(s)://` or `mailto:` address.
    pub link: Option<String>,
}

impl Markdown {
    /// The text without markup: paragraphs and list items on lines of their
    /// own, images by their description. What narration speaks and captions show.
    pub fn plain_text(&self) -> String {
        let mut lines = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Paragraph(runs) => lines.push(join(runs)),
                Block::List { items, .. } => lines.extend(items.iter().map(|i| join(i))),
                Block::Image { alt, .. } => {
                    if !alt.is_empty() {
                        lines.push(alt.clone());
                    }
                }
            }
        }
        lines.join("\n")
    }

    /// The images' sources, in order.
    pub fn images(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Image { src, .. } => Some(src.as_str()),
            _ => None,
        })
    }
}

fn join(runs: &[Inline]) -> String {
    runs.iter().map(|r| r.text.as_str()).collect::<String>().trim().to_owned()
}

/// Parses `text`, or says which construct is outside the subset.
pub fn parse_markdown(text: &str) -> Result<Markdown, String> {
    let mut out = Markdown::default();
    let mut runs: Vec<Inline> = Vec::new();
    let mut list: Option<(bool, Vec<Vec<Inline>>)> = None;
    let (mut emphasis, mut strong) = (0u32, 0u32);
    let mut link: Option<String> = None;
    let mut image: Option<(String, String)> = None;
    let flush = |runs: &mut Vec<Inline>, out: &mut Markdown| {
        if runs.iter().any(|r| !r.text.trim().is_empty()) {
            out.blocks.push(Block::Paragraph(std::mem::take(runs)));
        } else {
            runs.clear();
        }
    };
    for event in Parser::new_ext(text, Options::empty()) {
        match event {
            Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) => {
                if list.is_none() {
                    flush(&mut runs, &mut out);
                }
            }
            Event::Start(Tag::List(first)) => {
                if list.is_some() {
                    return Err("lists inside lists are not supported".to_owned());
                }
                flush(&mut runs, &mut out);
                list = Some((first.is_some(), Vec::new()));
            }
            Event::End(TagEnd::List(_)) => {
                if let Some((ordered, items)) = list.take() {
                    out.blocks.push(Block::List { ordered, items });
                }
            }
            Event::Start(Tag::Item) => runs.clear(),
            Event::End(TagEnd::Item) => {
                if let Some((_, items)) = list.as_mut() {
                    items.push(std::mem::take(&mut runs));
                }
            }
            Event::Start(Tag::Emphasis) => emphasis += 1,
            Event::End(TagEnd::Emphasis) => emphasis = emphasis.saturating_sub(1),
            Event::Start(Tag::Strong) => strong += 1,
            Event::End(TagEnd::Strong) => strong = strong.saturating_sub(1),
            Event::Start(Tag::Link { dest_url, .. }) => {
                let url = dest_url.to_string();
                if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with("mailto:")) {
                    return Err(format!("link \"{url}\": expected an https://, http:// or mailto: address"));
                }
                link = Some(url);
            }
            Event::End(TagEnd::Link) => link = None,
            Event::Start(Tag::Image { dest_url, .. }) => {
                let src = dest_url.to_string();
                if src.is_empty() || src.contains("://") || src.starts_with('/') {
                    return Err(format!(
                        "image \"{src}\": expected a path relative to the scene file or a shared: path"
                    ));
                }
                image = Some((String::new(), src));
            }
            Event::End(TagEnd::Image) => {
                if let Some((alt, src)) = image.take() {
                    // An image is a block of its own: the text before it is one paragraph, after it another.
                    if list.is_some() {
                        return Err(format!("image \"{src}\" inside a list: put images in paragraphs of their own"));
                    }
                    flush(&mut runs, &mut out);
                    out.blocks.push(Block::Image {
                        alt: alt.trim().to_owned(),
                        src,
                    });
                }
            }
            Event::Text(t) => match image.as_mut() {
                Some((alt, _)) => alt.push_str(&t),
                None => runs.push(Inline {
                    text: t.to_string(),
                    emphasis: emphasis > 0,
                    strong: strong > 0,
                    link: link.clone(),
                }),
            },
            Event::SoftBreak | Event::HardBreak => runs.push(Inline {
                text: " ".to_owned(),
                ..Inline::default()
            }),
            Event::Start(other) => return Err(format!("{} is not supported here", describe(&other))),
            Event::Code(c) => return Err(format!("inline code `{c}` is not supported here")),
            Event::Html(_) | Event::InlineHtml(_) => return Err("HTML is not supported here".to_owned()),
            Event::Rule => return Err("a horizontal rule (---) is not supported here".to_owned()),
            Event::End(_) => {}
            other => return Err(format!("{other:?} is not supported here")),
        }
    }
    flush(&mut runs, &mut out);
    Ok(out)
}

fn describe(tag: &Tag<'_>) -> &'static str {
    match tag {
        Tag::Heading { .. } => "a heading (#)",
        Tag::BlockQuote(_) => "a quotation (>)",
        Tag::CodeBlock(_) => "a code block",
        Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell => "a table",
        Tag::HtmlBlock => "HTML",
        Tag::FootnoteDefinition(_) => "a footnote",
        Tag::Strikethrough => "strikethrough",
        _ => "this Markdown construct",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, emphasis: bool, strong: bool, link: Option<&str>) -> Inline {
        Inline {
            text: text.to_owned(),
            emphasis,
            strong,
            link: link.map(str::to_owned),
        }
    }

    #[test]
    fn emphasis_links_lists_and_images_parse_into_blocks() {
        let md = parse_markdown(
            "Built in *1809*, rebuilt in **brick**; see [the board](https://example.org/a).\n\n\
             - four gates\n- a moat\n\n1. first\n2. second\n\n![The south gate](img/gate.jpg)\n\nAfter.",
        )
        .unwrap();
        assert_eq!(
            md.blocks,
            vec![
                Block::Paragraph(vec![
                    run("Built in ", false, false, None),
                    run("1809", true, false, None),
                    run(", rebuilt in ", false, false, None),
                    run("brick", false, true, None),
                    run("; see ", false, false, None),
                    run("the board", false, false, Some("https://example.org/a")),
                    run(".", false, false, None),
                ]),
                Block::List {
                    ordered: false,
                    items: vec![vec![run("four gates", false, false, None)], vec![run("a moat", false, false, None)]],
                },
                Block::List {
                    ordered: true,
                    items: vec![vec![run("first", false, false, None)], vec![run("second", false, false, None)]],
                },
                Block::Image {
                    alt: "The south gate".to_owned(),
                    src: "img/gate.jpg".to_owned(),
                },
                Block::Paragraph(vec![run("After.", false, false, None)]),
            ]
        );
        assert_eq!(
            md.plain_text(),
            "Built in 1809, rebuilt in brick; see the board.\nfour gates\na moat\nfirst\nsecond\nThe south gate\nAfter."
        );
        assert_eq!(md.images().collect::<Vec<_>>(), vec!["img/gate.jpg"]);
    }

    #[test]
    fn constructs_outside_the_subset_are_refused_by_name() {
        for (text, expected) in [
            ("# Title", "a heading"),
            ("> quoted", "a quotation"),
            ("```\ncode\n```", "a code block"),
            ("a `b` c", "inline code"),
            ("<b>x</b>", "HTML"),
            ("[x](javascript:alert(1))", "expected an https://"),
            ("![x](https://tracker.example/p.png)", "relative to the scene file"),
            ("- a\n  - b", "lists inside lists"),
        ] {
            let err = parse_markdown(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn line_breaks_inside_a_paragraph_are_spaces() {
        let md = parse_markdown("one\ntwo").unwrap();
        assert_eq!(md.plain_text(), "one two");
    }
}
