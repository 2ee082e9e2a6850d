//! Equity in firms' rounds at the round's price: direct equity (拨改投) and co-investment beside a
//! lead investor (联合投资 / 跟投).
//!
//! Candidates are this year's rounds into the chosen stages of the chosen industries, the entry
//! rounds of new projects included. They are visited in uniformly random order; each is taken with
//! probability `take_up`, for a ticket of `min(ticket, max_round_share × round size)` (direct
//! equity) or `min(max_ticket, ratio × lead_share × round size)` (beside a lead holding
//! `lead_share` of the round), cut to the room left in the round, if the purse still holds it. The city's stake is `ticket / post-money`; later rounds dilute it (the firm's
//! retention factor), and it ends at the firm's exit (IPO or M&A, at the exit value), at its
//! failure (written off) or, with `sell_after_years`, by a sale at the last post-money less
//! `sale_discount`. The rest of the round is private money mobilised (booked once all instruments
//! have acted, by [`super::book_mobilised`]).

use super::{Purse, Year, draw_next};
use crate::firms::CITY_INVESTED;
use crate::ledger::{Outcome, Position};
use crate::model::{EquityModel, InstrumentModel, TicketRule};
use crate::money::{fen_from_yuan_f64, yuan};
use crate::rng::uniform;

pub(super) fn invest(
    k: usize,
    inst: &InstrumentModel,
    eq: &EquityModel,
    purse: &mut Purse,
    year: &mut Year,
) {
    let mut candidates = std::mem::take(year.candidates);
    candidates.clear();
    let rounds = &year.events.rounds;
    super::extend_where_index(&mut candidates, rounds.len(), |n| {
        let r = &rounds[n];
        inst.eligible[r.industry as usize][r.stage as usize]
    });
    for j in 0..candidates.len() {
        if purse.capacity() <= 0 {
            break;
        }
        let n = draw_next(&mut candidates, j, &mut year.rngs[k]) as usize;
        if uniform(&mut year.rngs[k]) >= eq.take_up {
            continue;
        }
        let round = year.events.rounds[n];
        let size = fen_from_yuan_f64(round.size);
        let wanted = match eq.ticket {
            TicketRule::Fixed {
                ticket,
                max_round_share,
            } => ticket.min(fen_from_yuan_f64(max_round_share * round.size)),
            TicketRule::BesideLead {
                ratio,
                lead_share,
                max_ticket,
            } => max_ticket.min(fen_from_yuan_f64(ratio * lead_share * round.size)),
        };
        // The round's remaining room: other instruments may already be in it.
        let room = (size - year.round_city[n]).max(0);
        let ticket = wanted.min(room);
        if ticket <= 0 || ticket > purse.capacity() {
            continue;
        }
        year.pay(k, purse, ticket);
        year.round_city[n] += ticket;
        let f = round.firm as usize;
        let mut position = Position::paid(k, round.firm, year.y, ticket, Outcome::Open);
        position.stake = yuan(ticket) / round.post_money;
        position.retention_entry = year.firms.retention[f];
        year.positions.push(position);
        year.support(k, round.firm);
        year.firms.flags[f] |= CITY_INVESTED;
        let i = year.ledger.at(k, year.y);
        year.ledger.deals[i] += 1;
        year.tickets.push((k, n as u32, ticket));
        year.ledger.invest_in(k, round.stage as usize, ticket);
    }
    *year.candidates = candidates;
}
