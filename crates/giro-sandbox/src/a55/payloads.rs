//! PIX and boleto payment instructions, shaped like the real ones.

use rust_decimal::Decimal;

use crate::random::Random;

fn field(id: &str, value: &str) -> String {
    format!("{id}{:02}{value}", value.len())
}

/// CRC16-CCITT (poly 0x1021, init 0xFFFF), as the BR Code standard closes its payload.
fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0xFFFF_u16, |mut crc, byte| {
        crc ^= u16::from(*byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 == 0 {
                crc << 1
            } else {
                (crc << 1) ^ 0x1021
            };
        }
        crc
    })
}

/// A PIX BR Code (EMV QR payload), used both for the QR and as the copy-paste code.
pub(crate) fn pix_code(charge_uuid: &str, amount: Decimal) -> String {
    let account = field("00", "br.gov.bcb.pix") + &field("01", charge_uuid);
    let mut payload = [
        field("00", "01"),
        field("26", &account),
        field("52", "0000"),
        field("53", "986"),
        field("54", &format!("{:.2}", amount)),
        field("58", "BR"),
        field("59", "A55 SANDBOX"),
        field("60", "SAO PAULO"),
        field("62", &field("05", "***")),
    ]
    .concat();
    payload.push_str("6304");
    let crc = crc16(payload.as_bytes());
    format!("{payload}{crc:04X}")
}

/// A boleto barcode (44 digits) and its digitable line (47 digits), with the amount in cents.
pub(crate) fn boleto(random: &Random, amount: Decimal) -> (String, String) {
    let cents = amount
        .checked_mul(Decimal::ONE_HUNDRED)
        .map_or_else(|| "9".repeat(10), |c| c.trunc().to_string());
    let value = format!(
        "{:0>10}",
        cents
            .chars()
            .rev()
            .take(10)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
    );
    let free = random.digits(25);
    let barcode = format!("2379{}9999{value}{free}", random.digits(1));
    let digitable = format!("{}{}{}", &barcode[..4], random.digits(6), &barcode[4..]);
    let digitable: String = digitable
        .chars()
        .chain(std::iter::repeat('0'))
        .take(47)
        .collect();
    (barcode, digitable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }

    #[test]
    fn boleto_lengths() {
        let (barcode, line) = boleto(&Random::new(1), Decimal::new(15000, 2));
        assert_eq!(barcode.len(), 44);
        assert_eq!(line.len(), 47);
        assert!(barcode.contains("0000015000"));
    }
}
