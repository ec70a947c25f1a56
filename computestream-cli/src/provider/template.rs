//! The operator's side of a rental's process: the `--exec` template turned into argv, and the
//! `--allow-image` patterns. No shell ever sees the buyer's words: the template is split once,
//! at start, and the buyer's image and command are placed into that argv as whole entries.

/// `--exec`, split into argv, with `{image}` and `{command...}` placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    /// The template's words, placeholders included.
    words: Vec<String>,
}

/// The placeholder replaced by the rental's image, as one argv entry.
const IMAGE: &str = "{image}";
/// The placeholder replaced by the rental's command, one argv entry per word.
const COMMAND: &str = "{command...}";

impl Template {
    /// Splits `text` by POSIX shell-word rules (quotes and backslashes group words; nothing
    /// is expanded). `{image}` and `{command...}` must each stand alone as a word.
    pub(crate) fn parse(text: &str) -> Result<Template, String> {
        let words =
            shlex::split(text).ok_or_else(|| format!("--exec {text:?}: unbalanced quotes"))?;
        if words.is_empty() {
            return Err("--exec: empty template".into());
        }
        if let Some(w) = words
            .iter()
            .find(|w| w.contains(IMAGE) && w.as_str() != IMAGE)
        {
            return Err(format!(
                "--exec: {IMAGE} must be a word of its own (so no shell can see it), not {w:?}"
            ));
        }
        if let Some(w) = words
            .iter()
            .find(|w| w.contains(COMMAND) && w.as_str() != COMMAND)
        {
            return Err(format!(
                "--exec: {COMMAND} must be a word of its own, not {w:?}"
            ));
        }
        Ok(Template { words })
    }

    /// The argv for a rental: each `{image}` word replaced by `image`, each `{command...}`
    /// word by the words of `command`.
    pub(crate) fn argv(&self, image: &str, command: &[String]) -> Vec<String> {
        let mut argv = Vec::with_capacity(self.words.len() + command.len());
        for word in &self.words {
            if word == COMMAND {
                argv.extend(command.iter().cloned());
            } else {
                argv.push(if word == IMAGE {
                    image.to_string()
                } else {
                    word.clone()
                });
            }
        }
        argv
    }
}

/// One `--allow-image` pattern: `*` matches any run of characters (`/` and `:` included),
/// `?` any one character; everything else matches itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ImagePattern(String);

impl ImagePattern {
    /// The pattern `text`.
    pub(crate) fn new(text: &str) -> ImagePattern {
        ImagePattern(text.to_string())
    }

    /// Whether `image` matches the whole pattern.
    pub(crate) fn matches(&self, image: &str) -> bool {
        glob(self.0.as_bytes(), image.as_bytes())
    }
}

/// Whether `image` may run: no patterns allow everything.
pub(crate) fn image_allowed(patterns: &[ImagePattern], image: &str) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| p.matches(image))
}

/// Wildcard matching with one backtrack point (the last `*`): linear in practice, no recursion.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn the_docker_template_places_image_and_command_as_whole_argv_entries() {
        let t = Template::parse("docker run --rm --gpus all {image} {command...}").unwrap();
        let argv = t.argv(
            "pytorch/pytorch:2.4",
            &strings(&["python", "-c", "print('hi; there')"]),
        );
        assert_eq!(
            argv,
            strings(&[
                "docker",
                "run",
                "--rm",
                "--gpus",
                "all",
                "pytorch/pytorch:2.4",
                "python",
                "-c",
                "print('hi; there')"
            ])
        );
    }

    #[test]
    fn shell_metacharacters_in_the_command_stay_literal_words() {
        let t = Template::parse("sh ./fixtures/tick.sh {command...}").unwrap();
        let hostile = strings(&["; rm -rf /", "$(id)", "|", "cat", "`x`", "a b"]);
        let argv = t.argv("img $(id)", &hostile);
        assert_eq!(&argv[..2], &strings(&["sh", "./fixtures/tick.sh"])[..]);
        assert_eq!(&argv[2..], &hostile[..]);
    }

    #[test]
    fn template_quotes_group_words_and_an_empty_command_adds_nothing() {
        let t = Template::parse(r#"run --label "a b" '{image}' {command...} --end"#).unwrap();
        assert_eq!(
            t.argv("x:1", &[]),
            strings(&["run", "--label", "a b", "x:1", "--end"])
        );
    }

    #[test]
    fn bad_templates_are_refused() {
        assert!(Template::parse("").is_err());
        assert!(Template::parse("run 'unterminated").is_err());
        assert!(Template::parse("run --cmd={command...}").is_err());
        // Inside a word the image could reach a shell (`sh -c "run {image}"`): refused.
        assert!(Template::parse("--name=job-{image}").is_err());
        assert!(Template::parse("sh -c 'docker run {image}'").is_err());
    }

    #[test]
    fn image_patterns_match_whole_names() {
        let torch = ImagePattern::new("pytorch/*");
        assert!(torch.matches("pytorch/pytorch:2.4"));
        assert!(!torch.matches("evil/pytorch"));
        assert!(!torch.matches("pytorch"));
        let exact = ImagePattern::new("ubuntu:2?.04");
        assert!(exact.matches("ubuntu:22.04"));
        assert!(!exact.matches("ubuntu:22.04-evil"));
        assert!(ImagePattern::new("*/cuda:*").matches("nvidia/cuda:12.4"));
        assert!(ImagePattern::new("a*b*c").matches("a-b-b-c"));
        assert!(!ImagePattern::new("a*b*c").matches("a-b-b-d"));
    }

    #[test]
    fn no_patterns_allow_every_image_and_some_allow_only_matches() {
        assert!(image_allowed(&[], "anything/at:all"));
        let allow = [ImagePattern::new("pytorch/*"), ImagePattern::new("busybox")];
        assert!(image_allowed(&allow, "busybox"));
        assert!(image_allowed(&allow, "pytorch/x"));
        assert!(!image_allowed(&allow, "busybox:latest"));
    }
}
