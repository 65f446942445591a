//! Pretty-printing of the bodies a transcript holds: JSON and XML (SAML documents).

use quick_xml::events::Event;
use quick_xml::{Reader, Writer};

/// JSON, indented by two spaces.
pub fn pretty_json(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// XML re-indented by two spaces; the text itself when it does not parse. For reading
/// only: whitespace changes break the signatures of the indented copy.
pub fn pretty_xml(xml: &str) -> String {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(e) => {
                if writer.write_event(e).is_err() {
                    return xml.to_owned();
                }
            }
            Err(_) => return xml.to_owned(),
        }
    }
    String::from_utf8(writer.into_inner()).unwrap_or_else(|_| xml.to_owned())
}
