//! `orche vet --format github`: GitHub Actions workflow commands, one line per problem:
//! `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=CODE::MESSAGE` (`::warning` for
//! warnings), which the runner shows as annotations on the lines of a pull request. Values
//! are escaped as the runner requires: `%`, `\r` and `\n` everywhere, and `:` and `,` in
//! properties too. The message is the headline, then the help and the related places on lines
//! of their own.

use super::Item;

/// One workflow command per item, each ending with a newline.
pub fn render(items: &[Item]) -> String {
    let mut out = String::new();
    for i in items {
        let d = i.diag;
        let mut props = Vec::new();
        if let Some(at) = &i.at {
            let r = &at.range;
            props.push(format!("file={}", property(&at.file)));
            props.push(format!("line={}", r.start.line));
            props.push(format!("col={}", r.start.column));
            props.push(format!("endLine={}", r.end.line));
            props.push(format!("endColumn={}", r.end.column));
        }
        props.push(format!("title={}", property(d.code)));
        let mut message = d.headline();
        if let Some(h) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        for r in &i.related {
            message.push_str(&format!(
                "\nsee {}:{}:{}: {}",
                r.at.file, r.at.range.start.line, r.at.range.start.column, r.message
            ));
        }
        out.push_str(&format!(
            "::{} {}::{}\n",
            d.severity.as_str(),
            props.join(","),
            data(&message)
        ));
    }
    out
}

/// A command's data (the message): `%`, `\r`, `\n` escaped.
pub fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as data, and `:` and `,` too.
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_reads_them() {
        assert_eq!(data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
        // `%` first, so an escape is never escaped again.
        assert_eq!(data("%0A"), "%250A");
    }
}
