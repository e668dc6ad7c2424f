//! Domain events: what integrators learn from the event feed and from webhooks. An event is derived
//! from the audit record of a change ([`EventType::of`]), so every mutation that is audited and
//! means something outside the registry publishes one, in the same transaction.

use crate::auth::scopes::Scope;
use crate::labeled_enum;

labeled_enum! {
    /// The kind of a domain event (`entity.happened`).
    pub enum EventType as "event_type" {
        ProjectCreated = "project.created": "Đề án được tạo" / "Project created",
        ProjectUpdated = "project.updated": "Đề án được sửa" / "Project changed",
        ProjectDeleted = "project.deleted": "Đề án bị xoá (bản nháp)" / "Project deleted (draft)",
        ProjectTransitioned = "project.transitioned": "Đề án chuyển trạng thái" / "Project moved to another status",
        ProjectBudgetSet = "project.budget_set": "Kinh phí đề án được lập" / "Project budget set",
        ProjectBudgetAdjusted = "project.budget_adjusted": "Kinh phí đề án được điều chỉnh" / "Project budget adjusted",
        ProjectBeneficiariesNamed = "project.beneficiaries_named": "Cơ sở thụ hưởng của đề án được xác định" / "Project beneficiaries named",
        ProjectsImported = "project.imported": "Danh sách đề án được nhập từ tệp" / "Projects imported from a file",
        ProjectIndicatorsReplaced = "project.indicators_replaced": "Chỉ tiêu kết quả đề án được cập nhật" / "Project outcome indicators replaced",
        DisbursementRecorded = "disbursement.recorded": "Giải ngân được ghi nhận" / "Disbursement recorded",
        BeneficiaryCreated = "beneficiary.created": "Cơ sở được tạo" / "Establishment created",
        BeneficiaryUpdated = "beneficiary.updated": "Cơ sở được sửa" / "Establishment changed",
        BeneficiaryMovedProvince = "beneficiary.moved_province": "Cơ sở chuyển tỉnh" / "Establishment moved to another province",
        BeneficiaryMerged = "beneficiary.merged": "Cơ sở trùng được gộp" / "Duplicate establishment merged",
        BeneficiaryUnmerged = "beneficiary.unmerged": "Việc gộp cơ sở được huỷ" / "Establishment merge reversed",
        BeneficiaryFiguresRecorded = "beneficiary.figures_recorded": "Số liệu năm của cơ sở được ghi" / "Establishment annual figures recorded",
        BeneficiariesImported = "beneficiary.imported": "Danh sách cơ sở được nhập từ tệp" / "Establishments imported from a file",
        ProgrammeCreated = "programme.created": "Chương trình được tạo" / "Programme created",
        ProgrammeTargetsReplaced = "programme.targets_replaced": "Mục tiêu chương trình được cập nhật" / "Programme targets replaced",
        OrganizationCreated = "organization.created": "Đơn vị được tạo" / "Organization created",
        OrganizationUpdated = "organization.updated": "Đơn vị được sửa" / "Organization changed",
        ProductCreated = "product.created": "Sản phẩm được đăng ký" / "Product registered",
        ProductUpdated = "product.updated": "Sản phẩm được sửa" / "Product changed",
        SelectionRoundCreated = "selection_round.created": "Kỳ bình chọn được tạo" / "Selection round created",
        SelectionRoundUpdated = "selection_round.updated": "Kỳ bình chọn được sửa" / "Selection round changed",
        SelectionRoundScoringStarted = "selection_round.scoring_started": "Kỳ bình chọn bắt đầu chấm điểm" / "Selection round scoring started",
        SelectionRoundClosed = "selection_round.closed": "Kỳ bình chọn kết thúc chấm điểm" / "Selection round scoring closed",
        SelectionRoundPublished = "selection_round.published": "Kết quả kỳ bình chọn được công nhận" / "Selection round results recognised",
        CertificateIssued = "certificate.issued": "Giấy chứng nhận được cấp" / "Certificate issued",
        CertificateLegacyRecorded = "certificate.legacy_recorded": "Giấy chứng nhận cũ được ghi nhận" / "Earlier certificate recorded",
        CertificatesImported = "certificate.imported": "Giấy chứng nhận cũ được nhập từ tệp" / "Earlier certificates imported from a file",
        CertificateRevoked = "certificate.revoked": "Giấy chứng nhận bị thu hồi" / "Certificate revoked",
    }
}

impl EventType {
    /// The event an audited change publishes, if any. Changes to accounts, sessions, clients,
    /// reference data and the judging itself stay in the audit log only.
    pub fn of(entity_type: &str, action: &str) -> Option<EventType> {
        use EventType::*;
        Some(match (entity_type, action) {
            ("project", "create") => ProjectCreated,
            ("project", "update") => ProjectUpdated,
            ("project", "delete") => ProjectDeleted,
            ("project", "transition") => ProjectTransitioned,
            ("project", "budget_set") => ProjectBudgetSet,
            ("project", "budget_adjusted") => ProjectBudgetAdjusted,
            ("project", "beneficiaries_named") => ProjectBeneficiariesNamed,
            ("project", "indicators_replaced") => ProjectIndicatorsReplaced,
            ("project", "disbursement_recorded") => DisbursementRecorded,
            ("beneficiary", "create") => BeneficiaryCreated,
            ("beneficiary", "update") => BeneficiaryUpdated,
            ("beneficiary", "move_province") => BeneficiaryMovedProvince,
            // One event per merge, on the record that stays; its payload names the duplicate.
            ("beneficiary", "merge") => BeneficiaryMerged,
            ("beneficiary", "unmerge") => BeneficiaryUnmerged,
            ("beneficiary_annual_figures", _) => BeneficiaryFiguresRecorded,
            // One event per applied file: its payload names the file and the ids it created.
            ("import", "beneficiaries_imported") => BeneficiariesImported,
            ("import", "projects_imported") => ProjectsImported,
            ("import", "certificates_imported") => CertificatesImported,
            ("programme", "create") => ProgrammeCreated,
            ("programme", "targets_replaced") => ProgrammeTargetsReplaced,
            ("organization", "create") => OrganizationCreated,
            ("organization", "update") => OrganizationUpdated,
            ("product", "create") => ProductCreated,
            ("product", "update") => ProductUpdated,
            ("selection_round", "create") => SelectionRoundCreated,
            ("selection_round", "update") => SelectionRoundUpdated,
            ("selection_round", "start_scoring") => SelectionRoundScoringStarted,
            ("selection_round", "close") => SelectionRoundClosed,
            // Results become public through the recognition decision.
            ("selection_round", "recognise") => SelectionRoundPublished,
            ("certificate", "issue") => CertificateIssued,
            ("certificate", "record_legacy") => CertificateLegacyRecorded,
            ("certificate", "revoke") => CertificateRevoked,
            _ => return None,
        })
    }

    /// The scope an integration client needs to receive events of this type (besides
    /// `events:read` for the feed or `webhooks:manage` for subscriptions).
    pub fn scope(self) -> Scope {
        match self.as_str().split('.').next().unwrap_or_default() {
            "beneficiary" => Scope::BeneficiariesRead,
            "product" | "selection_round" | "certificate" => Scope::CertificatesRead,
            _ => Scope::ProjectsRead,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::labels::Labeled;

    #[test]
    fn audited_changes_map_to_their_events() {
        assert_eq!(
            EventType::of("project", "disbursement_recorded"),
            Some(EventType::DisbursementRecorded)
        );
        assert_eq!(
            EventType::of("selection_round", "recognise"),
            Some(EventType::SelectionRoundPublished)
        );
        assert_eq!(EventType::of("beneficiary", "merged_into"), None);
        assert_eq!(EventType::of("user", "create"), None);
        assert_eq!(EventType::of("session", "login"), None);
    }

    #[test]
    fn each_type_needs_the_read_scope_of_its_records() {
        assert_eq!(EventType::DisbursementRecorded.scope(), Scope::ProjectsRead);
        assert_eq!(EventType::BeneficiaryMerged.scope(), Scope::BeneficiariesRead);
        assert_eq!(EventType::CertificateRevoked.scope(), Scope::CertificatesRead);
        assert_eq!(EventType::ProgrammeCreated.scope(), Scope::ProjectsRead);
        // Every type is reachable from some audited change.
        for t in EventType::ALL {
            assert!(t.as_str().contains('.'), "{t:?}");
        }
    }
}
