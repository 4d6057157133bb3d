use proptest::prelude::*;

use super::*;

/// Drives a schedule against a chain where a height verifies from a trusted one when they
/// are at most `reach` apart (how far the validator set lets one skip), as the relayer's
/// driver does against real light blocks.
fn drive(
    trusted: u64,
    target: u64,
    reach: u64,
    budget: usize,
) -> Result<Bisection, BisectionError> {
    let mut schedule = Bisection::new(trusted, target, budget);
    while let BisectionStep::Verify(height) = schedule.next_step()? {
        if height - schedule.trusted() <= reach {
            schedule.verified(height)?;
        } else {
            schedule.not_enough_trust(height)?;
        }
    }
    Ok(schedule)
}

#[test]
fn a_skippable_target_is_one_verification() {
    let schedule = drive(10, 500, 1_000, 8).unwrap();
    assert_eq!(schedule.path(), &[500]);
    assert_eq!(schedule.verifications(), 1);
}

#[test]
fn too_far_a_target_is_reached_through_midpoints() {
    // 10 → 500 is too far for a reach of 200: 255 is too (245 away), 132 is not; then 255
    // from 132, and the target from 255 (245 away: through 377 first).
    let schedule = drive(10, 500, 200, 16).unwrap();
    assert_eq!(schedule.path(), &[132, 255, 377, 500]);
    assert_eq!(schedule.trusted(), 500);
}

#[test]
fn a_target_at_or_below_the_trusted_height_is_done_at_once() {
    let mut schedule = Bisection::new(50, 50, 4);
    assert_eq!(schedule.next_step().unwrap(), BisectionStep::Done);
    assert!(schedule.path().is_empty());
    let mut schedule = Bisection::new(50, 20, 4);
    assert_eq!(schedule.next_step().unwrap(), BisectionStep::Done);
}

#[test]
fn adjacent_heights_that_do_not_verify_are_an_error() {
    let err = drive(10, 11, 0, 8).unwrap_err();
    assert_eq!(
        err,
        BisectionError::Adjacent {
            height: 11,
            trusted: 10
        }
    );
}

#[test]
fn the_budget_bounds_the_verifications() {
    let err = drive(0, 1 << 20, 1, 10).unwrap_err();
    assert!(
        matches!(err, BisectionError::OverBudget { budget: 10, target, .. } if target == 1 << 20),
        "{err:?}"
    );
}

#[test]
fn asking_again_before_a_verdict_repeats_the_height_without_counting_it() {
    let mut schedule = Bisection::new(1, 9, 1);
    assert_eq!(schedule.next_step().unwrap(), BisectionStep::Verify(9));
    assert_eq!(schedule.next_step().unwrap(), BisectionStep::Verify(9));
    assert_eq!(schedule.verifications(), 1);
}

#[test]
fn a_verdict_for_another_height_is_refused() {
    let mut schedule = Bisection::new(1, 9, 4);
    assert_eq!(
        schedule.verified(9),
        Err(BisectionError::UnexpectedHeight {
            got: 9,
            expected: None
        })
    );
    schedule.next_step().unwrap();
    assert_eq!(
        schedule.not_enough_trust(5),
        Err(BisectionError::UnexpectedHeight {
            got: 5,
            expected: Some(9)
        })
    );
    // The refused verdict changed nothing: the target is still the one asked for.
    assert_eq!(schedule.next_step().unwrap(), BisectionStep::Verify(9));
}

#[test]
fn the_target_is_kept_pending_while_a_midpoint_is_tried() {
    let mut schedule = Bisection::new(0, 100, 8);
    assert_eq!(schedule.next_step().unwrap(), BisectionStep::Verify(100));
    schedule.not_enough_trust(100).unwrap();
    assert_eq!(schedule.next_step().unwrap(), BisectionStep::Verify(50));
    schedule.verified(50).unwrap();
    // The target comes back once the midpoint is trusted.
    assert_eq!(schedule.next_step().unwrap(), BisectionStep::Verify(100));
    schedule.verified(100).unwrap();
    assert_eq!(schedule.next_step().unwrap(), BisectionStep::Done);
    assert_eq!(schedule.path(), &[50, 100]);
}

proptest! {
    /// Whatever the reach, a schedule with enough budget ends at the target along strictly
    /// increasing heights, each within reach of the one before: exactly the headers a
    /// client can be updated with, in order.
    #[test]
    fn every_schedule_reaches_the_target_in_verifiable_steps(
        trusted in 0u64..1_000_000,
        distance in 1u64..1_000_000,
        skips in 1u64..64,
    ) {
        // A reach that takes about `skips` steps to cover the distance.
        let reach = distance / skips + 1;
        let target = trusted + distance;
        let schedule = drive(trusted, target, reach, 4_096).unwrap();
        let mut from = trusted;
        for &height in schedule.path() {
            prop_assert!(height > from && height - from <= reach);
            from = height;
        }
        prop_assert_eq!(from, target);
        // Between two verified heights, each failure halves the gap: at most one failure
        // per halving of the distance.
        let halvings = (64 - distance.leading_zeros()) as usize;
        prop_assert!(schedule.verifications() <= schedule.path().len() * (halvings + 1));
    }
}
