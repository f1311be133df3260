//! How many referrals a person has sent and received, for their dashboard (no names, no content).

use domain::referrals::referral::ReferralState;

use crate::{Actor, App, AppResult};

/// Counts for one side of the person's referrals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReferralCounts {
    pub total: usize,
    /// Sent and not yet accepted or declined.
    pub unanswered: usize,
}

impl App {
    /// The person's referrals as (sent, received) counts. Only their own rows are read.
    pub async fn referral_counts(&self, actor: &Actor) -> AppResult<(ReferralCounts, ReferralCounts)> {
        let mut sides = [ReferralCounts::default(); 2];
        for (side, as_sender) in sides.iter_mut().zip([true, false]) {
            let rows = self.store().referrals_of(actor.user_id.as_str(), as_sender).await?;
            side.total = rows.len();
            side.unanswered = rows.iter().filter(|r| r.status == ReferralState::Sent).count();
        }
        let [sent, received] = sides;
        Ok((sent, received))
    }
}
