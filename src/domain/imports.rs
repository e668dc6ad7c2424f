//! What an import file holds and where an import is.

use crate::labeled_enum;

labeled_enum! {
    /// What a file holds.
    pub enum ImportKind as "import_kind" {
        Beneficiaries = "beneficiaries": "Cơ sở công nghiệp nông thôn" / "Establishments",
        Projects = "projects": "Đề án, kèm kinh phí và cơ sở thụ hưởng" / "Projects with their budget and establishments",
        Certificates = "certificates": "Giấy chứng nhận của các kỳ bình chọn trước" / "Certificates of earlier selection rounds",
    }
}

labeled_enum! {
    /// Where an import is: `queued` and `running` for a job; `succeeded` when a dry run's report
    /// is ready or every row was written; `failed` when nothing was written (invalid rows, see
    /// the report, or an interrupted job, see `failure`).
    pub enum ImportState as "import_state" {
        Queued = "queued": "Đang chờ" / "Queued",
        Running = "running": "Đang kiểm tra hoặc ghi" / "Checking or writing",
        Succeeded = "succeeded": "Hoàn tất" / "Succeeded",
        Failed = "failed": "Không ghi được dòng nào" / "Failed, nothing written",
    }
}
