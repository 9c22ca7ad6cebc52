//! JetStream's atomic batch publish (nats-server 2.12, ADR-50): the headers that make several
//! messages one all-or-nothing write.

use async_nats::HeaderMap;

pub(super) const MSG_ID: &str = "Nats-Msg-Id";
pub(super) const EXPECTED_LAST_SUBJECT_SEQUENCE: &str = "Nats-Expected-Last-Subject-Sequence";
const BATCH_ID: &str = "Nats-Batch-Id";
const BATCH_SEQUENCE: &str = "Nats-Batch-Sequence";
const BATCH_COMMIT: &str = "Nats-Batch-Commit";

/// JetStream's error code for a batch holding a message id it has already stored.
pub(super) const BATCH_DUPLICATE_MSG_ID: u64 = 10201;

/// The batch one append's messages belong to; a lone message is no batch.
pub(super) struct Batch {
    id: Option<String>,
    len: usize,
}

/// What to do with the `i`-th message of an append.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Send it without waiting: the server stages it until the commit.
    Staged,
    /// Send it and wait for the acknowledgement of the whole append.
    Commit,
}

impl Batch {
    pub(super) fn for_events(len: usize) -> Self {
        let id = (len > 1).then(|| uuid::Uuid::new_v4().simple().to_string());
        Batch { id, len }
    }

    /// Adds the batch headers of message `i` to `headers` and says how to send it.
    pub(super) fn mark(&self, headers: &mut HeaderMap, i: usize) -> Step {
        let last = i + 1 == self.len;
        if let Some(id) = &self.id {
            headers.insert(BATCH_ID, id.as_str());
            headers.insert(BATCH_SEQUENCE, (i + 1).to_string());
            if last {
                headers.insert(BATCH_COMMIT, "1");
            }
        }
        if last { Step::Commit } else { Step::Staged }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(h: &HeaderMap, name: &str) -> Option<String> {
        h.get(name).map(|v| v.as_str().to_string())
    }

    #[test]
    fn a_lone_message_is_committed_without_batch_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(Batch::for_events(1).mark(&mut h, 0), Step::Commit);
        assert_eq!(value(&h, BATCH_ID), None);
        assert_eq!(value(&h, BATCH_COMMIT), None);
    }

    #[test]
    fn a_batch_numbers_its_messages_from_one_and_commits_the_last() {
        let batch = Batch::for_events(3);
        let marked: Vec<(Step, HeaderMap)> = (0..3)
            .map(|i| {
                let mut h = HeaderMap::new();
                (batch.mark(&mut h, i), h)
            })
            .collect();
        let id = value(&marked[0].1, BATCH_ID).expect("batch id");
        assert!(id.len() <= 64, "ADR-50 limits the id to 64 characters");
        for (i, (step, h)) in marked.iter().enumerate() {
            assert_eq!(value(h, BATCH_ID).as_deref(), Some(id.as_str()));
            assert_eq!(value(h, BATCH_SEQUENCE), Some((i + 1).to_string()));
            let last = i == 2;
            assert_eq!(value(h, BATCH_COMMIT).is_some(), last);
            assert_eq!(*step, if last { Step::Commit } else { Step::Staged });
        }
    }
}
