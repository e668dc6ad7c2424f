//! Projects (đề án khuyến công): their states and the steps between them, who may take each step,
//! the budget lines and the money rules (NĐ 45/2012/NĐ-CP as amended by NĐ 235/2025/NĐ-CP;
//! funding norms TT 28/2018/TT-BTC). Pure rules: the API and the models call them.

use crate::auth::Role;
use crate::labeled_enum;

labeled_enum! {
    /// Funding source of the state part of a project.
    pub enum FundingSource as "funding_source" {
        National = "national": "Khuyến công quốc gia" / "National industrial-promotion funds",
        Local = "local": "Khuyến công địa phương" / "Local (provincial) industrial-promotion funds",
    }
}

labeled_enum! {
    /// A budget line of a project: the two state sources, the beneficiary's own contribution and
    /// other money.
    pub enum BudgetSource as "budget_source" {
        National = "national": "Kinh phí khuyến công quốc gia" / "National funds",
        Local = "local": "Kinh phí khuyến công địa phương" / "Local funds",
        Counterpart = "counterpart": "Vốn đối ứng của cơ sở" / "Beneficiary's counterpart funds",
        Other = "other": "Nguồn khác" / "Other sources",
    }
}

impl BudgetSource {
    /// State money: the sources whose disbursements are bounded by the approved amounts.
    pub fn is_state(self) -> bool {
        matches!(self, BudgetSource::National | BudgetSource::Local)
    }
}

labeled_enum! {
    /// Where a project stands in its life.
    pub enum ProjectStatus as "project_status" {
        Draft = "draft": "Dự thảo" / "Draft",
        Submitted = "submitted": "Đã trình" / "Submitted",
        Appraised = "appraised": "Đã thẩm định" / "Appraised",
        Approved = "approved": "Đã phê duyệt" / "Approved",
        InProgress = "in_progress": "Đang thực hiện" / "In progress",
        Suspended = "suspended": "Tạm dừng" / "Suspended",
        Accepted = "accepted": "Đã nghiệm thu" / "Accepted",
        Settled = "settled": "Đã quyết toán, thanh lý" / "Settled",
        Returned = "returned": "Trả lại để chỉnh sửa" / "Returned for revision",
        Cancelled = "cancelled": "Đã hủy" / "Cancelled",
    }
}

impl ProjectStatus {
    /// Content, beneficiaries and budget lines are edited freely only before submission.
    pub fn is_editable(self) -> bool {
        matches!(self, ProjectStatus::Draft | ProjectStatus::Returned)
    }

    /// Money moves only between approval and settlement.
    pub fn moves_money(self) -> bool {
        matches!(
            self,
            ProjectStatus::Approved | ProjectStatus::InProgress | ProjectStatus::Accepted
        )
    }

    /// After approval and before acceptance, the budget changes only by an adjustment decision.
    pub fn takes_adjustments(self) -> bool {
        matches!(
            self,
            ProjectStatus::Approved | ProjectStatus::InProgress | ProjectStatus::Suspended
        )
    }

    /// Nothing changes any more.
    pub fn is_final(self) -> bool {
        matches!(self, ProjectStatus::Settled | ProjectStatus::Cancelled)
    }

    /// Before acceptance, advances are limited to a share of the state support.
    pub fn is_before_acceptance(self) -> bool {
        !matches!(
            self,
            ProjectStatus::Accepted | ProjectStatus::Settled | ProjectStatus::Cancelled
        )
    }
}

labeled_enum! {
    /// A step of the lifecycle (`POST /projects/{id}/transitions`).
    pub enum TransitionAction as "transition_action" {
        Submit = "submit": "Trình duyệt" / "Submit",
        Appraise = "appraise": "Thẩm định" / "Appraise",
        Approve = "approve": "Phê duyệt" / "Approve",
        Return = "return": "Trả lại để chỉnh sửa" / "Return for revision",
        Start = "start": "Bắt đầu thực hiện" / "Start implementation",
        Accept = "accept": "Nghiệm thu" / "Accept (final inspection)",
        Settle = "settle": "Quyết toán, thanh lý" / "Settle the accounts",
        Cancel = "cancel": "Hủy" / "Cancel",
        Suspend = "suspend": "Tạm dừng" / "Suspend",
        Resume = "resume": "Tiếp tục thực hiện" / "Resume",
    }
}

impl TransitionAction {
    /// The state `action` leads to from `from`, if the lifecycle has that step.
    pub fn target(self, from: ProjectStatus) -> Option<ProjectStatus> {
        use ProjectStatus as S;
        use TransitionAction as A;
        match (from, self) {
            (S::Draft | S::Returned, A::Submit) => Some(S::Submitted),
            (S::Submitted, A::Appraise) => Some(S::Appraised),
            (S::Appraised, A::Approve) => Some(S::Approved),
            // Sent back for revision by the approving authority, up to the start of the work
            // (and later only while no money has moved; see the API).
            (S::Submitted | S::Appraised | S::Approved | S::InProgress, A::Return) => Some(S::Returned),
            (S::Approved, A::Start) => Some(S::InProgress),
            (S::InProgress, A::Accept) => Some(S::Accepted),
            (S::Accepted, A::Settle) => Some(S::Settled),
            (S::InProgress, A::Suspend) => Some(S::Suspended),
            (S::Suspended, A::Resume) => Some(S::InProgress),
            (from, A::Cancel) if !from.is_final() => Some(S::Cancelled),
            _ => None,
        }
    }

    /// The actions the lifecycle allows from `from`.
    pub fn allowed_from(from: ProjectStatus) -> Vec<TransitionAction> {
        <TransitionAction as crate::domain::labels::Labeled>::ALL
            .iter()
            .copied()
            .filter(|action| action.target(from).is_some())
            .collect()
    }

    /// Steps that are decisions of an authority and must name the decision (number and date).
    pub fn needs_decision(self) -> bool {
        matches!(
            self,
            TransitionAction::Approve
                | TransitionAction::Accept
                | TransitionAction::Settle
                | TransitionAction::Cancel
        )
    }

    /// Steps that must say why (a note).
    pub fn needs_note(self) -> bool {
        matches!(self, TransitionAction::Return | TransitionAction::Suspend)
    }

    /// Steps taken only by the authority that approves the project's funds: the ministry for
    /// national funds, the province for local funds (the People's Committee's decision is
    /// recorded by province staff). The others are taken by whoever runs the project.
    pub fn is_approving_authority_step(self, source: FundingSource) -> bool {
        match self {
            TransitionAction::Approve | TransitionAction::Return => true,
            // The ministry appraises and cancels national-fund projects; provinces their own.
            TransitionAction::Appraise | TransitionAction::Cancel => source == FundingSource::National,
            _ => false,
        }
    }
}

/// Who may take `action` on a project funded from `source`: `ministry` everything nationally;
/// province staff everything on local-fund projects of their province and the running steps of
/// national-fund ones (the territory is checked apart).
pub fn may_take(role: Role, action: TransitionAction, source: FundingSource) -> bool {
    match role {
        Role::Ministry => true,
        Role::Province => {
            source == FundingSource::Local || !action.is_approving_authority_step(FundingSource::National)
        }
        _ => false,
    }
}

labeled_enum! {
    /// What a money movement is.
    pub enum DisbursementKind as "disbursement_kind" {
        Advance = "advance": "Tạm ứng" / "Advance",
        Payment = "payment": "Thanh toán" / "Payment",
        Refund = "refund": "Hoàn trả, thu hồi" / "Refund",
        Settlement = "settlement": "Thanh toán quyết toán" / "Settlement payment",
    }
}

labeled_enum! {
    /// The part an establishment takes in a project.
    pub enum BeneficiaryRole as "project_beneficiary_role" {
        Primary = "primary": "Đơn vị thụ hưởng chính" / "Primary beneficiary",
        Host = "host": "Cơ sở đặt mô hình, địa điểm thực hiện" / "Host of the model or activity",
        Participant = "participant": "Cơ sở tham gia" / "Participating establishment",
    }
}

labeled_enum! {
    /// Kind of an implementing unit.
    pub enum OrganizationKind as "organization_kind" {
        ProvincialPromotionCentre = "provincial_promotion_centre": "Trung tâm Khuyến công (và Tư vấn phát triển công nghiệp) tỉnh" / "Provincial industrial-promotion centre",
        ProvincialDepartment = "provincial_department": "Sở Công Thương" / "Provincial Department of Industry and Trade",
        MinistryAgency = "ministry_agency": "Cục Đổi mới sáng tạo, Chuyển đổi xanh và Khuyến công (Bộ Công Thương)" / "The ministry's industrial-promotion agency",
        Other = "other": "Đơn vị khác" / "Other unit",
    }
}

labeled_enum! {
    /// Scope of a programme (chương trình khuyến công).
    pub enum ProgrammeLevel as "programme_level" {
        National = "national": "Chương trình quốc gia" / "National programme",
        Provincial = "provincial": "Chương trình của tỉnh" / "Provincial programme",
    }
}

labeled_enum! {
    /// What an absolute support ceiling is counted per.
    pub enum CeilingBasis as "cap_ceiling_basis" {
        Project = "project": "Mỗi đề án" / "Per project",
        Beneficiary = "beneficiary": "Mỗi cơ sở thụ hưởng" / "Per beneficiary establishment",
    }
}

labeled_enum! {
    /// Standard outcome indicators (other codes may be used with their unit).
    pub enum IndicatorCode as "indicator_code" {
        WorkersTrained = "workers_trained": "Số lao động được đào tạo" / "Workers trained",
        MachinesInstalled = "machines_installed": "Số máy móc, thiết bị được lắp đặt" / "Machines installed",
        EstablishmentsSupported = "establishments_supported": "Số cơ sở được hỗ trợ" / "Establishments supported",
        ModelsBuilt = "models_built": "Số mô hình trình diễn" / "Demonstration models built",
        RevenueVnd = "revenue_vnd": "Doanh thu (đồng)" / "Revenue (đồng)",
        JobsCreated = "jobs_created": "Việc làm tạo ra" / "Jobs created",
        AssetsVnd = "assets_vnd": "Tổng tài sản (đồng)" / "Total assets (đồng)",
    }
}

impl IndicatorCode {
    /// The unit a standard indicator is counted in.
    pub fn unit(self) -> &'static str {
        match self {
            IndicatorCode::WorkersTrained | IndicatorCode::JobsCreated => "person",
            IndicatorCode::MachinesInstalled => "machine",
            IndicatorCode::EstablishmentsSupported => "establishment",
            IndicatorCode::ModelsBuilt => "model",
            IndicatorCode::RevenueVnd | IndicatorCode::AssetsVnd => "vnd",
        }
    }
}

/// The approved amounts of a project, in đồng.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budget {
    pub national: i64,
    pub local: i64,
    pub counterpart: i64,
    pub other: i64,
}

impl Budget {
    pub fn total_cost(&self) -> i64 {
        self.national + self.local + self.counterpart + self.other
    }

    /// The state support: national and local funds together.
    pub fn state_support(&self) -> i64 {
        self.national + self.local
    }

    pub fn get(&self, source: BudgetSource) -> i64 {
        match source {
            BudgetSource::National => self.national,
            BudgetSource::Local => self.local,
            BudgetSource::Counterpart => self.counterpart,
            BudgetSource::Other => self.other,
        }
    }
}

/// Largest single amount the registry takes, in đồng (one thousand billion): far above any
/// project, far below overflow when lines are summed.
pub const MAX_AMOUNT_VND: i64 = 1_000_000_000_000_000;

/// A support cap as applied to one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cap {
    pub id: i64,
    pub legal_basis: String,
    pub max_share_percent: Option<i64>,
    pub max_amount_vnd: Option<i64>,
    pub ceiling_basis: CeilingBasis,
    pub production_line_multiplier_percent: Option<i64>,
    pub priority_multiplier_percent: Option<i64>,
}

/// What a project asks of a cap.
#[derive(Debug, Clone, Copy)]
pub struct CapClaim {
    pub budget: Budget,
    pub beneficiaries: i64,
    pub complete_production_line: bool,
    pub priority_area: bool,
}

/// A cap broken, with the figures that break it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapBreach {
    pub cap_id: i64,
    pub legal_basis: String,
    pub state_support_vnd: i64,
    pub total_cost_vnd: i64,
    /// The highest state support the cap allows for this project.
    pub allowed_vnd: i64,
    /// `share` (percentage of cost) or `ceiling` (absolute amount).
    pub limit: &'static str,
}

impl Cap {
    /// The multiplier (in percent) that raises the ceiling: a complete production line or a
    /// priority area. They do not add up; the larger applies.
    fn multiplier_percent(&self, claim: &CapClaim) -> i64 {
        let line = self
            .production_line_multiplier_percent
            .filter(|_| claim.complete_production_line);
        let priority = self.priority_multiplier_percent.filter(|_| claim.priority_area);
        line.into_iter().chain(priority).max().unwrap_or(100).max(100)
    }

    /// The ceiling for this project, multiplier and number of establishments applied.
    pub fn ceiling(&self, claim: &CapClaim) -> Option<i64> {
        let base = self.max_amount_vnd?;
        let times = match self.ceiling_basis {
            CeilingBasis::Project => 1,
            CeilingBasis::Beneficiary => claim.beneficiaries.max(1),
        };
        Some(
            i128::from(base)
                .saturating_mul(i128::from(times))
                .saturating_mul(i128::from(self.multiplier_percent(claim)))
                .checked_div(100)
                .unwrap_or(0)
                .min(i128::from(i64::MAX)) as i64,
        )
    }

    /// The breach, if the claim's state support exceeds the share of cost or the ceiling.
    pub fn check(&self, claim: &CapClaim) -> Option<CapBreach> {
        let support = claim.budget.state_support();
        let total = claim.budget.total_cost();
        let breach = |allowed: i64, limit| CapBreach {
            cap_id: self.id,
            legal_basis: self.legal_basis.clone(),
            state_support_vnd: support,
            total_cost_vnd: total,
            allowed_vnd: allowed,
            limit,
        };
        if let Some(percent) = self.max_share_percent {
            // support / total <= percent / 100, in integers.
            if i128::from(support) * 100 > i128::from(percent) * i128::from(total) {
                let allowed = (i128::from(percent) * i128::from(total) / 100) as i64;
                return Some(breach(allowed, "share"));
            }
        }
        if let Some(ceiling) = self.ceiling(claim)
            && support > ceiling
        {
            return Some(breach(ceiling, "ceiling"));
        }
        None
    }
}

/// Net money moved per source so far, in đồng.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moved {
    /// Advances, payments and settlement payments, less refunds, per source.
    pub net: Budget,
    /// Advances recorded on the state sources (a refund does not make room for new advances).
    pub state_advances: i64,
}

/// A money rule a movement would break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyBreach {
    /// The net state money of `source` would exceed its approved amount.
    OverApproved {
        source: BudgetSource,
        approved: i64,
        after: i64,
    },
    /// Advances before acceptance would exceed the policy share of the state support.
    AdvanceOverShare {
        limit: i64,
        after: i64,
        share_percent: i64,
    },
    /// A refund larger than what was paid from that source.
    RefundOverPaid { source: BudgetSource, paid: i64 },
}

/// Checks one movement against the approved budget and what has moved so far.
pub fn check_movement(
    budget: &Budget,
    moved: &Moved,
    kind: DisbursementKind,
    source: BudgetSource,
    amount: i64,
    status: ProjectStatus,
    advance_share_percent: i64,
) -> Result<(), MoneyBreach> {
    let net = moved.net.get(source);
    if kind == DisbursementKind::Refund {
        if amount > net {
            return Err(MoneyBreach::RefundOverPaid { source, paid: net });
        }
        return Ok(());
    }
    let after = net + amount;
    if source.is_state() && after > budget.get(source) {
        return Err(MoneyBreach::OverApproved {
            source,
            approved: budget.get(source),
            after,
        });
    }
    if kind == DisbursementKind::Advance && source.is_state() && status.is_before_acceptance() {
        let limit = (i128::from(budget.state_support()) * i128::from(advance_share_percent) / 100) as i64;
        let after = moved.state_advances + amount;
        if after > limit {
            return Err(MoneyBreach::AdvanceOverShare {
                limit,
                after,
                share_percent: advance_share_percent,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demonstration_cap() -> Cap {
        Cap {
            id: 1,
            legal_basis: "Thông tư 28/2018/TT-BTC".into(),
            max_share_percent: Some(30),
            max_amount_vnd: Some(1_000_000_000),
            ceiling_basis: CeilingBasis::Project,
            production_line_multiplier_percent: None,
            priority_multiplier_percent: Some(150),
        }
    }

    fn claim(national: i64, counterpart: i64) -> CapClaim {
        CapClaim {
            budget: Budget {
                national,
                counterpart,
                ..Budget::default()
            },
            beneficiaries: 1,
            complete_production_line: false,
            priority_area: false,
        }
    }

    #[test]
    fn the_share_of_cost_is_checked_exactly() {
        let cap = demonstration_cap();
        assert_eq!(cap.check(&claim(300, 700)), None);
        let breach = cap.check(&claim(301, 699)).unwrap();
        assert_eq!(breach.limit, "share");
        assert_eq!(breach.allowed_vnd, 300);
    }

    #[test]
    fn ceilings_count_establishments_and_take_the_larger_multiplier() {
        let machinery = Cap {
            max_share_percent: Some(50),
            max_amount_vnd: Some(300_000_000),
            ceiling_basis: CeilingBasis::Beneficiary,
            production_line_multiplier_percent: Some(150),
            ..demonstration_cap()
        };
        let mut c = claim(300_000_001, 700_000_000);
        assert_eq!(machinery.check(&c).unwrap().limit, "ceiling");
        c.complete_production_line = true;
        assert_eq!(machinery.ceiling(&c), Some(450_000_000));
        c.priority_area = true;
        assert_eq!(
            machinery.ceiling(&c),
            Some(450_000_000),
            "multipliers do not add up"
        );
        c.complete_production_line = false;
        c.priority_area = false;
        c.beneficiaries = 2;
        assert_eq!(machinery.ceiling(&c), Some(600_000_000));
        assert_eq!(machinery.check(&c), None);
    }

    #[test]
    fn the_lifecycle_has_exactly_the_documented_steps() {
        use ProjectStatus as S;
        use TransitionAction as A;
        let walk = [
            (S::Draft, A::Submit, S::Submitted),
            (S::Submitted, A::Appraise, S::Appraised),
            (S::Appraised, A::Approve, S::Approved),
            (S::Approved, A::Start, S::InProgress),
            (S::InProgress, A::Suspend, S::Suspended),
            (S::Suspended, A::Resume, S::InProgress),
            (S::InProgress, A::Accept, S::Accepted),
            (S::Accepted, A::Settle, S::Settled),
        ];
        for (from, action, to) in walk {
            assert_eq!(action.target(from), Some(to), "{from} --{action}-->");
        }
        assert_eq!(
            A::Approve.target(S::Submitted),
            None,
            "approval needs appraisal first"
        );
        assert_eq!(A::Cancel.target(S::Settled), None);
        assert_eq!(A::allowed_from(S::Settled), Vec::<A>::new());
        assert_eq!(A::allowed_from(S::Draft), vec![A::Submit, A::Cancel]);
        assert_eq!(A::Submit.target(S::Returned), Some(S::Submitted));
    }

    #[test]
    fn national_funds_are_approved_by_the_ministry_only() {
        use TransitionAction as A;
        assert!(!may_take(Role::Province, A::Approve, FundingSource::National));
        assert!(!may_take(Role::Province, A::Return, FundingSource::National));
        assert!(may_take(Role::Province, A::Submit, FundingSource::National));
        assert!(may_take(Role::Province, A::Start, FundingSource::National));
        assert!(may_take(Role::Province, A::Approve, FundingSource::Local));
        assert!(may_take(Role::Ministry, A::Approve, FundingSource::National));
        assert!(!may_take(Role::Admin, A::Submit, FundingSource::Local));
        assert!(!may_take(Role::Auditor, A::Submit, FundingSource::Local));
    }

    #[test]
    fn money_never_exceeds_the_approved_lines_nor_the_advance_share() {
        let budget = Budget {
            national: 1_000,
            counterpart: 2_000,
            ..Budget::default()
        };
        let mut moved = Moved::default();
        let check = |moved: &Moved, kind, source, amount, status| {
            check_movement(&budget, moved, kind, source, amount, status, 70)
        };
        use BudgetSource as B;
        use DisbursementKind as K;
        assert!(check(&moved, K::Advance, B::National, 700, ProjectStatus::Approved).is_ok());
        assert!(matches!(
            check(&moved, K::Advance, B::National, 701, ProjectStatus::Approved),
            Err(MoneyBreach::AdvanceOverShare { limit: 700, .. })
        ));
        moved.net.national = 700;
        moved.state_advances = 700;
        assert!(check(&moved, K::Payment, B::National, 300, ProjectStatus::InProgress).is_ok());
        assert!(matches!(
            check(&moved, K::Payment, B::National, 301, ProjectStatus::InProgress),
            Err(MoneyBreach::OverApproved {
                approved: 1_000,
                after: 1_001,
                ..
            })
        ));
        assert!(matches!(
            check(&moved, K::Payment, B::Local, 1, ProjectStatus::InProgress),
            Err(MoneyBreach::OverApproved { approved: 0, .. })
        ));
        assert!(matches!(
            check(&moved, K::Refund, B::National, 701, ProjectStatus::InProgress),
            Err(MoneyBreach::RefundOverPaid { paid: 700, .. })
        ));
        // Counterpart money is the establishment's own: recorded, not bounded by the state lines.
        assert!(
            check(
                &moved,
                K::Payment,
                B::Counterpart,
                5_000,
                ProjectStatus::InProgress
            )
            .is_ok()
        );
    }
}
