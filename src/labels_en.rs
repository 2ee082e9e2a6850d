//! English labels of the metrics (`--lang en`), by base name: a metric `name.<id>` of an
//! instrument or industry takes its base name's label and adds the id.

/// The English label of a metric's base name (the part before the first '.'), if it has one.
pub fn label(base: &str) -> Option<&'static str> {
    Some(match base {
        // Activity and firms.
        "projects_landed" => "New science and technology projects landed",
        "talents" => "New master's and PhD talent attracted",
        "financing" => "New financing raised by local firms",
        "grants_awarded" => "Projects granted funding",
        "equity_deals" => "Equity investments made",
        "conversions" => "Grant-then-equity (bo-tou-gu) projects converted to equity",
        "loans_guaranteed" => "Loans guaranteed",
        "subsidy_unmet" => "Subsidy claims over budget and not paid",
        "funds_closed" => "New sub-funds joined",
        "funds_local_invested" => "Sub-fund investment in local firms (local reinvestment, fanhou)",
        "funds_outside_invested" => "Sub-fund investment in firms outside the city",
        "firms_supported" => "Firms supported for the first time",
        "funds_local_recognised" => "Sub-fund investment recognised as local reinvestment (fanhou)",
        "fanhou_shortfall" => {
            "Local reinvestment (fanhou) shortfall at the end of the investment period"
        }
        "relocations" => {
            "Outside portfolio firms of sub-funds relocated to the city (counted as projects landed)"
        }
        "large_arrivals" => "Large firms attracted",
        "exits" => "Firms exited (IPO or acquisition)",
        "ipos" => "Firms listed (IPO)",
        "failures" => "Firms failed",
        "active_firms" => "Active firms not yet exited",
        "unicorns" => "Unicorns",
        "potential_unicorns" => "Potential unicorns",
        "unicorns_incl_potential" => "Unicorns, including potential unicorns",
        "unicorns_incl_potential_new" => {
            "Newly grown (potential) unicorns (excluding firms already qualifying at the start)"
        }
        "chain_leaders" => "Chain-leader firms",
        "chain_leaders_new" => {
            "New chain-leader firms attracted or grown (excluding firms already qualifying at the start)"
        }
        "clusters" => "Industry clusters of over 10 billion yuan",
        "cluster_output" => "Industry cluster size (total revenue or valuation)",
        "local_revenue" => "Revenue of local firms",
        "deals" => "Deals (projects)",

        // Additionality: what the policy caused.
        "additional_rounds" => "Additional financing rounds caused by the policy",
        "additional_exits" => "Additional exits caused by the policy",
        "additional_projects" => "Additional projects landed caused by the policy",
        "additional_talents" => "Additional master's and PhD talent caused by the policy",
        "additional_unicorns" => "Additional (potential) unicorns caused by the policy",
        "additional_chain_leaders" => "Additional chain-leader firms caused by the policy",
        "cost_per_additional_unicorn" => {
            "Net fiscal cost per additional (potential) unicorn (each path's ratio, over paths with at least one; negative where the policy earned money)"
        }
        "cost_per_additional_chain_leader" => {
            "Net fiscal cost per additional chain-leader firm (each path's ratio, over paths with at least one; negative where the policy earned money)"
        }
        "cost_per_additional_project" => {
            "Net fiscal cost per additional project landed (each path's ratio, over paths with at least one; negative where the policy earned money)"
        }

        // Money.
        "fiscal_outlay" => "Fiscal outlay",
        "sunk_cost" => "Paid before the start year for the book's positions (sunk, not outlay)",
        "deployed" => "Money deployed (including recycled money)",
        "money_back" => "Money recovered",
        "to_treasury" => "Money returned to the treasury",
        "mobilised" => "Private capital mobilised",
        "mobilised_per_fiscal_yuan" => "Private capital mobilised per yuan of fiscal money",
        "holdings_value" => "Value of equity holdings",
        "pool_balance" => "Fund pool balance",
        "unfunded_commitments" => "Uncalled commitments to sub-funds (contingent liability)",
        "guaranteed_principal" => "Outstanding guaranteed loan principal",
        "guaranteed_city_share" => "Fiscal risk exposure on outstanding guaranteed loans",
        "pending_convertibles" => "Grant-then-equity (bo-tou-gu) money not yet converted",
        "expected_guarantee_loss" => "Expected fiscal loss on outstanding guaranteed loans",
        "tax_revenue" => "City tax paid by local firms",
        "additional_tax_revenue" => "City tax from firms the policy brought or kept",
        "net_fiscal_flow_cum" => {
            "Cumulative net fiscal flow (J-curve: returned to the treasury − fiscal outlay)"
        }
        "net_position" => {
            "Net position of fiscal money (returned − outlay + pool balance + holdings at marks)"
        }

        // Fiscal cost and returns.
        "net_fiscal_cost" => {
            "Net fiscal cost (outlay − money recovered − value of holdings at the end)"
        }
        "net_fiscal_cost_pv" => "Net fiscal cost (discounted)",
        "net_fiscal_cost_with_outstanding" => {
            "Net fiscal cost (including expected loss on outstanding guaranteed loans)"
        }
        "net_fiscal_cost_after_tax" => "Net fiscal cost (after tax revenue caused by the policy)",
        "fiscal_irr" => {
            "IRR of fiscal money (defined only when money goes out first and the rate is unique)"
        }
        "fiscal_irr_defined" => "IRR of fiscal money is defined",
        "fiscal_mirr" => {
            "Modified IRR of fiscal money (MIRR, financing and reinvesting at the discount rate)"
        }
        "fiscal_irr_with_tax" => "IRR of fiscal money (including tax revenue caused by the policy)",
        "fiscal_irr_with_tax_defined" => "IRR of fiscal money including tax revenue is defined",
        "irr" => "IRR (defined only when money goes out first and the rate is unique)",
        "irr_defined" => "IRR is defined",
        "mirr" => "Modified IRR (MIRR, at the discount rate)",
        "tvpi" => "Total value to paid-in multiple (TVPI)",
        "dpi" => "Distributions to paid-in multiple (DPI)",

        // Indicators of the national guidance on government investment funds.
        "leverage" => "Leverage of fiscal money",
        "principal_recovery" => "Principal recovery rate",
        "idle_rate" => "Idle money rate",
        "early_stage_share" => "Share invested early and small (seed and Series A)",
        "fanhou_multiple" => {
            "Local reinvestment (fanhou) multiple (recognised reinvestment ÷ city commitments)"
        }
        "paid_in_rate" => "Paid-in rate (paid in ÷ committed)",

        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn known_names_have_labels_and_unknown_ones_do_not() {
        for name in [
            "projects_landed",
            "fiscal_outlay",
            "net_fiscal_cost",
            "to_treasury",
            "net_fiscal_flow_cum",
            "additional_unicorns",
            "deals",
            "cluster_output",
            "leverage",
            "paid_in_rate",
        ] {
            assert!(label(name).is_some(), "{name} has no English label");
        }
        assert_eq!(label("fiscal_outlay"), Some("Fiscal outlay"));
        assert_eq!(label("no_such_metric"), None);
        assert_eq!(label(""), None);
    }
}
