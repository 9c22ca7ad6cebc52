//! E-mail addresses, checked pragmatically: the providers want one that can receive mail, which
//! only sending mail proves, so this refuses what is certainly wrong and nothing more.

use super::CheckError;

/// The longest address that fits an SMTP forward path (RFC 5321 §4.5.3.1.3).
const MAX_LEN: usize = 254;

/// Ok only if `s` is at most 254 characters, contains no whitespace or control characters, has
/// exactly one `@` with something before it, and after it a domain of at least two non-empty
/// dot-separated labels (`name@example.com`). Quoted local parts and IP-literal domains are
/// refused; internationalised characters are allowed.
pub fn email(s: &str) -> Result<(), CheckError> {
    if s.is_empty() {
        return Err(CheckError::Empty);
    }
    let got = s.chars().count();
    if got > MAX_LEN {
        return Err(CheckError::Length {
            expected: "at most 254 characters",
            got,
        });
    }
    if let Some(i) = s.chars().position(|c| c.is_whitespace() || c.is_control()) {
        return Err(CheckError::Character {
            position: i + 1,
            expected: "printable (no spaces)",
        });
    }
    let Some((local, domain)) = s.split_once('@') else {
        return Err(CheckError::Format(
            "must contain an @, as in name@example.com",
        ));
    };
    if domain.contains('@') {
        return Err(CheckError::Format("must contain only one @"));
    }
    if local.is_empty() {
        return Err(CheckError::Format("needs a name before the @"));
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return Err(CheckError::Format(
            "needs a domain with a dot after the @, as in example.com",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ordinary_addresses_pass() {
        for a in [
            "jack@gmail.com",
            "example@maildomain.com",
            "juan.garcia+pagos@empresa.com.co",
            "maría@correo.co",
            "a@b.co",
        ] {
            assert_eq!(email(a), Ok(()), "{a}");
        }
    }

    #[test]
    fn broken_addresses_fail_with_a_reason() {
        assert_eq!(email(""), Err(CheckError::Empty));
        assert_eq!(
            email("jack.gmail.com"),
            Err(CheckError::Format(
                "must contain an @, as in name@example.com"
            ))
        );
        assert_eq!(
            email("jack@@gmail.com"),
            Err(CheckError::Format("must contain only one @"))
        );
        assert_eq!(
            email("a@b@c.com"),
            Err(CheckError::Format("must contain only one @"))
        );
        assert_eq!(
            email("@gmail.com"),
            Err(CheckError::Format("needs a name before the @"))
        );
        let no_domain = Err(CheckError::Format(
            "needs a domain with a dot after the @, as in example.com",
        ));
        for a in [
            "jack@",
            "jack@gmail",
            "jack@.com",
            "jack@gmail.",
            "jack@gmail..com",
        ] {
            assert_eq!(email(a), no_domain, "{a}");
        }
        assert_eq!(
            email("jack @gmail.com"),
            Err(CheckError::Character {
                position: 5,
                expected: "printable (no spaces)"
            })
        );
        assert_eq!(
            email("jack@gmail.com\n"),
            Err(CheckError::Character {
                position: 15,
                expected: "printable (no spaces)"
            })
        );
    }

    #[test]
    fn length_limit_is_254_characters() {
        let at_limit = format!("{}@example.com", "a".repeat(MAX_LEN - 12));
        assert_eq!(email(&at_limit), Ok(()));
        let over = format!("a{at_limit}");
        assert_eq!(
            email(&over),
            Err(CheckError::Length {
                expected: "at most 254 characters",
                got: 255
            })
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = email(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "[a-zé@. ]{0,30}") {
            let _ = email(&s);
        }
    }
}
