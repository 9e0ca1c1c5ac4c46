//! Timer heap: O(log n) insert and expiry, ordered by (deadline, creation sequence).
//!
//! Entries are never removed in place: a timer whose wait ended early stays in the heap and is
//! skipped when it surfaces (the caller checks the token is still pending). When stale entries
//! outnumber live ones the heap is rebuilt, so memory stays proportional to live timers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Default)]
pub struct TimerHeap {
    heap: BinaryHeap<Reverse<(i64, u64, i64)>>,
    seq: u64,
    stale: usize,
}

impl TimerHeap {
    /// Adds a timer firing at `deadline` (ns) for `token`.
    pub fn push(&mut self, deadline: i64, token: i64) {
        self.seq += 1;
        self.heap.push(Reverse((deadline, self.seq, token)));
    }

    /// Records that one entry became stale (its wait ended some other way).
    pub fn mark_stale(&mut self) {
        self.stale += 1;
    }

    /// Earliest deadline among entries accepted by `live`, dropping stale ones on top.
    pub fn next_deadline(&mut self, live: impl Fn(i64) -> bool) -> Option<i64> {
        while let Some(Reverse((d, _, tok))) = self.heap.peek().copied() {
            if live(tok) {
                return Some(d);
            }
            self.heap.pop();
            self.stale = self.stale.saturating_sub(1);
        }
        None
    }

    /// Pops the next entry with deadline <= now, returning its token (stale or not).
    pub fn pop_expired(&mut self, now: i64) -> Option<i64> {
        match self.heap.peek() {
            Some(Reverse((d, _, _))) if *d <= now => self.heap.pop().map(|Reverse((_, _, t))| t),
            _ => None,
        }
    }

    /// Called after popping a stale entry.
    pub fn popped_stale(&mut self) {
        self.stale = self.stale.saturating_sub(1);
    }

    /// Rebuilds the heap without stale entries once they dominate it.
    pub fn maybe_compact(&mut self, live: impl Fn(i64) -> bool) {
        if self.stale > 64 && self.stale > self.heap.len() / 2 {
            let v = std::mem::take(&mut self.heap).into_vec();
            self.heap = v
                .into_iter()
                .filter(|Reverse((_, _, t))| live(*t))
                .collect();
            self.stale = 0;
        }
    }

    pub fn clear(&mut self) {
        self.heap.clear();
        self.stale = 0;
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_deadline_then_creation_order() {
        let mut h = TimerHeap::default();
        h.push(30, 1);
        h.push(10, 2);
        h.push(10, 3);
        h.push(20, 4);
        let mut out = vec![];
        while let Some(t) = h.pop_expired(100) {
            out.push(t);
        }
        assert_eq!(out, vec![2, 3, 4, 1]);
    }

    #[test]
    fn only_expired_pop() {
        let mut h = TimerHeap::default();
        h.push(50, 1);
        assert_eq!(h.pop_expired(49), None);
        assert_eq!(h.pop_expired(50), Some(1));
    }

    #[test]
    fn next_deadline_skips_stale() {
        let mut h = TimerHeap::default();
        h.push(5, 1);
        h.push(7, 2);
        h.mark_stale();
        assert_eq!(h.next_deadline(|t| t != 1), Some(7));
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn compaction_bounds_memory() {
        let mut h = TimerHeap::default();
        for i in 0..10_000 {
            h.push(i, i);
            h.mark_stale();
        }
        h.push(1, -1);
        h.maybe_compact(|t| t == -1);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn many_timers_scale() {
        let mut h = TimerHeap::default();
        for i in (0..100_000).rev() {
            h.push(i, i);
        }
        let mut last = -1;
        let mut n = 0;
        while let Some(t) = h.pop_expired(i64::MAX) {
            assert!(t > last);
            last = t;
            n += 1;
        }
        assert_eq!(n, 100_000);
    }
}
