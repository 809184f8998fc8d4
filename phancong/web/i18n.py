"""The portal's words, Vietnamese first and English second, and how dates and times are shown."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from phancong.domain import citation
from phancong.domain.calendar import period_title
from phancong.domain.status import LABELS, LATE, LATE_LABEL, Status

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"
TZ = "Asia/Ho_Chi_Minh"

CATALOG: dict[str, tuple[str, str]] = {
    # layout
    "app.name": ("Phân công – Theo dõi thực hiện kế hoạch", "Phancong – plan follow-up"),
    "app.short": ("Phân công", "Phancong"),
    "nav.mine": ("Nhiệm vụ của tôi", "My obligations"),
    "nav.obligations": ("Danh sách nhiệm vụ", "Obligations"),
    "nav.matrix": ("Ma trận theo dõi", "Matrix"),
    "nav.fanout": ("Xã, phường", "Communes"),
    "nav.review": ("Duyệt báo cáo", "Review queue"),
    "nav.account": ("Tài khoản", "Account"),
    "nav.prefect": ("Prefect (luồng công việc)", "Prefect UI"),
    "nav.logout": ("Đăng xuất", "Log out"),
    "nav.skip": ("Bỏ qua đến nội dung", "Skip to content"),
    "lang.switch": ("English", "Tiếng Việt"),
    # login
    "login.title": ("Đăng nhập", "Log in"),
    "login.email": ("Email", "Email"),
    "login.password": ("Mật khẩu", "Password"),
    "login.submit": ("Đăng nhập", "Log in"),
    "login.failed": ("Email hoặc mật khẩu không đúng", "Wrong email or password"),
    "login.rate_limited": (
        "Tài khoản hoặc địa chỉ này đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau "
        "{wait}, hoặc đăng nhập bằng liên kết gửi qua email, hoặc nhờ điều phối viên mở lại.",
        "Too many failed logins for this account or address. Please try again in {wait}, or "
        "log in with a link sent by email, or ask a coordinator to clear it.",
    ),
    "login.hint": (
        "Chưa có mật khẩu? Hãy dùng liên kết đăng nhập được gửi qua email.",
        "No password? Use the login link sent to you by email.",
    ),
    "login.link_title": ("Đăng nhập bằng liên kết", "Log in with a link"),
    "login.link_as": ("Đăng nhập với tài khoản", "Log in as"),
    "login.link_submit": ("Tiếp tục", "Continue"),
    "login.link_invalid": (
        "Liên kết đăng nhập không hợp lệ, đã dùng hoặc đã hết hạn",
        "The login link is invalid, already used or expired",
    ),
    "login.logged_out": ("Bạn đã đăng xuất.", "You have logged out."),
    "ob.on_behalf": ("Nộp thay đơn vị", "Submitted on the agency's behalf"),
    "ob.on_behalf_reason": (
        "Lý do nộp thay đơn vị (bắt buộc)",
        "Why you submit on the agency's behalf (required)",
    ),
    # obligations list
    "list.title": ("Nhiệm vụ của đơn vị", "Obligations of the unit"),
    "list.title_all": ("Danh sách nhiệm vụ", "Obligations"),
    "list.empty": ("Không có nhiệm vụ nào phù hợp.", "No obligations match."),
    "list.more": ("Trang sau", "Next page"),
    "list.prev": ("Trang trước", "Previous page"),
    "col.id": ("Số", "No."),
    "col.duty": ("Nhiệm vụ", "Duty"),
    "col.citation": ("Căn cứ", "Citation"),
    "col.unit": ("Đơn vị", "Unit"),
    "col.role": ("Vai trò", "Role"),
    "col.period": ("Kỳ", "Period"),
    "col.deadline": ("Hạn", "Deadline"),
    "col.original_deadline": ("Hạn ban đầu", "Original deadline"),
    "col.status": ("Tình trạng", "Status"),
    "col.days": ("Thời gian còn lại / quá hạn", "Days left / late"),
    "col.days_late": ("Số ngày quá hạn", "Days late"),
    "col.total": ("Tổng số nhiệm vụ", "Obligations in total"),
    "col.code_suffix": (" (mã)", " (code)"),
    "col.submitted": ("Đã nộp", "Submitted"),
    "col.on_time_rate": ("Tỷ lệ đúng hạn", "On-time rate"),
    "col.progress": ("Đã nộp / tổng số", "Submitted / total"),
    "col.overdue": ("Quá hạn", "Overdue"),
    "col.when": ("Thời điểm", "When"),
    "col.actor": ("Người thực hiện", "By"),
    "col.action": ("Thao tác", "Action"),
    "col.reason": ("Lý do", "Reason"),
    "col.note": ("Ghi chú", "Note"),
    "col.recipients": ("Người nhận", "Recipients"),
    "col.subject": ("Tiêu đề", "Subject"),
    "col.level": ("Bước", "Step"),
    "col.review": ("Kết quả duyệt", "Review"),
    "col.evidence": ("Minh chứng", "Evidence"),
    "col.indicators": ("Chỉ tiêu", "Indicators"),
    "col.email": ("Email", "Email"),
    "col.name": ("Họ tên", "Name"),
    "col.plan": ("Kế hoạch", "Plan"),
    "days.left": ("còn {n} ngày", "{n} days left"),
    "days.today": ("hạn hôm nay", "due today"),
    "days.late": ("quá hạn {n} ngày", "{n} days late"),
    # filters
    "filter.plan": ("Kế hoạch", "Plan"),
    "filter.year": ("Năm", "Year"),
    "filter.period": ("Kỳ báo cáo", "Period"),
    "filter.status": ("Tình trạng", "Status"),
    "filter.unit": ("Đơn vị", "Unit"),
    "filter.kind": ("Loại đơn vị", "Kind of unit"),
    "filter.q": ("Tìm đơn vị", "Find unit"),
    "filter.duty": ("Nhiệm vụ", "Duty"),
    "filter.any": ("Tất cả", "All"),
    "filter.apply": ("Lọc", "Filter"),
    "filter.reset": ("Bỏ lọc", "Reset"),
    # obligation page
    "ob.title": ("Nhiệm vụ số {id}", "Obligation {id}"),
    "ob.text": ("Nội dung nhiệm vụ", "What the plan says"),
    "ob.blocked_by": ("Đang chờ đơn vị khác hoàn thành", "Waiting on"),
    "ob.submit": ("Báo cáo hoàn thành", "Mark done"),
    "ob.submit_button": ("Gửi báo cáo", "Submit"),
    "ob.note": ("Ghi chú, kết quả thực hiện", "Note, what was done"),
    "ob.evidence": ("Đường dẫn minh chứng (không bắt buộc)", "Evidence link (optional)"),
    "ob.indicators": ("Giá trị chỉ tiêu", "Indicator values"),
    "ob.files": (
        "Tệp báo cáo (PDF, DOCX, XLSX, ODT, ảnh JPEG/PNG)",
        "Report files (PDF, DOCX, XLSX, ODT, JPEG/PNG scans)",
    ),
    "ob.files_limits": (
        "Tối đa {file} một tệp, {total} cho một lần báo cáo. "
        "Không nhận tệp có macro, tệp chạy được, tệp nén.",
        "At most {file} per file, {total} per submission. "
        "Files with macros, programs and archives are refused.",
    ),
    "ob.files_required": (
        "Nhiệm vụ này cần kèm tệp báo cáo.",
        "This duty needs the report file attached.",
    ),
    "ob.need_something": (
        "Cần ít nhất nội dung kết quả, một số liệu hoặc một tệp báo cáo.",
        "Give at least a note, an indicator value or a file.",
    ),
    "ob.yes": ("Có", "Yes"),
    "ob.no": ("Không", "No"),
    "col.files": ("Tệp báo cáo", "Report files"),
    "ob.target": ("mục tiêu", "target"),
    "ob.submissions": ("Các lần báo cáo", "Submissions"),
    "ob.extensions": ("Gia hạn", "Extensions"),
    "ob.escalations": ("Các bước nhắc nhở, đôn đốc", "Reminders and escalations"),
    "ob.emails": ("Email đã gửi", "Emails"),
    "ob.audit": ("Nhật ký thay đổi", "Audit trail"),
    "ob.none": ("Chưa có.", "None yet."),
    "ob.review": ("Duyệt báo cáo", "Review"),
    "ob.manage": ("Gia hạn, miễn thực hiện", "Extend or waive"),
    "ob.accept": ("Chấp nhận", "Accept"),
    "ob.return": ("Trả lại", "Return"),
    "ob.return_reason": ("Lý do trả lại", "Reason for returning"),
    "ob.extend": ("Gia hạn", "Extend"),
    "ob.extend_until": ("Hạn mới", "New deadline"),
    "ob.extend_reason": ("Lý do gia hạn", "Reason for the extension"),
    "ob.waive": ("Miễn thực hiện", "Waive"),
    "ob.waive_reason": ("Lý do miễn", "Reason for waiving"),
    "ob.closed_reason": ("Lý do", "Reason"),
    "ob.blocked_level": ("(đơn vị chờ)", "(waiting)"),
    "ob.extended_from": ("từ {old} đến {new}", "from {old} to {new}"),
    "ob.back": ("Quay lại danh sách", "Back to the list"),
    "review.pending": ("chờ duyệt", "pending"),
    "review.accepted": ("được chấp nhận", "accepted"),
    "review.returned": ("bị trả lại", "returned"),
    # flash
    "flash.submit": ("Đã gửi báo cáo hoàn thành.", "Submitted."),
    "flash.accept": ("Đã chấp nhận báo cáo.", "Accepted."),
    "flash.return": ("Đã trả lại báo cáo.", "Returned."),
    "flash.extend": ("Đã gia hạn.", "Extended."),
    "flash.waive": ("Đã miễn thực hiện nhiệm vụ.", "Waived."),
    "flash.feed": (
        "Đã tạo đường dẫn lịch mới; đường dẫn cũ không còn dùng được.",
        "A new calendar link was made; the old one no longer works.",
    ),
    "flash.feed_revoked": ("Đã thu hồi đường dẫn lịch.", "The calendar link was revoked."),
    # matrix
    "matrix.title": ("Ma trận theo dõi thực hiện", "Follow-up matrix"),
    "matrix.units_periods": ("Đơn vị × kỳ báo cáo", "Agencies × periods"),
    "matrix.cell": ("{done}/{total} hoàn thành", "{done}/{total} done"),
    "matrix.legend": ("Chú giải", "Legend"),
    "matrix.charts": ("Biểu đồ", "Charts"),
    "matrix.report": ("Báo cáo tổng hợp {period}", "Consolidated report {period}"),
    "chart.rates": (
        "Tỷ lệ hoàn thành đúng hạn theo cơ quan, đơn vị qua các kỳ",
        "On-time rate per agency over the periods",
    ),
    "chart.reported": ("Số đơn vị đã báo cáo định kỳ theo kỳ", "Units that reported, per period"),
    "matrix.duties": ("Tiến độ theo nhiệm vụ – {period}", "Progress per duty – {period}"),
    "matrix.submitted_of": ("{x}/{n} đã nộp", "{x} of {n} submitted"),
    "matrix.counted_at": (
        "Toàn kế hoạch, số liệu lúc {time} (cập nhật sau mỗi thao tác, tối đa 15 giây)",
        "Whole plan, counted at {time} (refreshed after each action, within 15 seconds)",
    ),
    "matrix.export_csv": ("Tải CSV", "Download CSV"),
    "matrix.export_xlsx": ("Tải Excel", "Download Excel"),
    "matrix.overdue_csv": ("Danh sách quá hạn (CSV)", "Overdue list (CSV)"),
    "matrix.overdue_xlsx": ("Danh sách quá hạn (Excel)", "Overdue list (Excel)"),
    "matrix.page": ("Trang {page}/{pages} – {total} đơn vị", "Page {page}/{pages} – {total} units"),
    "fanout.title": (
        "Nhiệm vụ giao cho các xã, phường – {period}",
        "Duties of the communes – {period}",
    ),
    "fanout.none": (
        "Kỳ này không có nhiệm vụ giao cho nhiều xã, phường.",
        "No fan-out duties in this period.",
    ),
    # review
    "review.title": ("Báo cáo chờ duyệt", "Submissions awaiting review"),
    "review.empty": ("Không có báo cáo nào chờ duyệt.", "Nothing awaits review."),
    "review.overdue": (
        "Nhiệm vụ quá hạn (có thể gia hạn hoặc miễn)",
        "Overdue obligations (extend or waive)",
    ),
    "review.open": ("Mở", "Open"),
    # account
    "account.title": ("Tài khoản", "Account"),
    "account.role": ("Vai trò", "Role"),
    "account.feed": ("Lịch hạn báo cáo (iCalendar)", "Deadline calendar (iCalendar)"),
    "account.feed_help": (
        "Đường dẫn riêng để thêm hạn báo cáo vào lịch (Outlook, Google Calendar). "
        "Giữ kín; tạo mới sẽ vô hiệu hóa đường dẫn cũ.",
        "A private link to add deadlines to your calendar. Keep it secret; "
        "making a new one disables the old one.",
    ),
    "account.feed_new": ("Tạo đường dẫn lịch mới", "Make a new calendar link"),
    "account.feed_revoke": ("Thu hồi đường dẫn lịch", "Revoke the calendar link"),
    "account.feed_shown_once": ("Đường dẫn chỉ hiển thị một lần:", "Shown once only:"),
    "account.feed_active": ("Đang có một đường dẫn lịch hoạt động.", "A calendar link is active."),
    "account.feed_none": ("Chưa có đường dẫn lịch.", "No calendar link yet."),
    "role.agency": ("Đơn vị thực hiện", "Agency"),
    "role.coordinator": ("Thường trực (điều phối)", "Coordinator"),
    "role.viewer": ("Ban Chỉ đạo (chỉ xem)", "Viewer (read-only)"),
    "orole.lead": ("Chủ trì", "Lead"),
    "orole.support": ("Phối hợp", "Supporting"),
    "orole.requested": ("Đề nghị", "Requested"),
    "level.reminder": ("Nhắc trước hạn", "Reminder"),
    "level.overdue": ("Thông báo quá hạn", "Overdue notice"),
    "level.standing_office": ("Báo cáo Thường trực", "Escalated to the Standing Office"),
    "level.steering_committee": ("Báo cáo Ban Chỉ đạo", "Escalated to the Steering Committee"),
    "kind.police": ("Công an", "Police"),
    "kind.department": ("Sở, ban, ngành", "Departments"),
    "kind.military": ("Quân sự", "Military"),
    "kind.judicial": ("Tòa án, Viện kiểm sát", "Courts and procuracy"),
    "kind.front": ("Mặt trận Tổ quốc", "Fatherland Front"),
    "kind.mass_organisation": ("Tổ chức chính trị - xã hội", "Mass organisations"),
    "kind.commune": ("Xã, phường", "Communes and wards"),
    "kind.district": ("Cấp huyện", "Districts"),
    "kind.committee": ("Ban Chỉ đạo, Hội đồng", "Committees"),
    "kind.other": ("Khác", "Other"),
    # audit trail and email states (codes the ledger and the outbox record)
    "audit.obligation.submitted": ("Gửi báo cáo hoàn thành", "Report submitted"),
    "audit.obligation.accepted": ("Chấp nhận báo cáo", "Report accepted"),
    "audit.obligation.returned": ("Trả lại báo cáo", "Report returned"),
    "audit.obligation.extended": ("Gia hạn", "Deadline extended"),
    "audit.obligation.waived": ("Miễn thực hiện", "Waived"),
    "audit.obligation.withdrawn": ("Rút lại báo cáo trước khi duyệt", "Report withdrawn"),
    "audit.obligation.cancelled": ("Hủy (kế hoạch thay đổi)", "Cancelled (plan changed)"),
    "audit.obligation.rescheduled": ("Đổi hạn (kế hoạch thay đổi)", "Rescheduled (plan changed)"),
    "audit.obligation.event_opened": ("Đơn vị báo sự việc, mở nghĩa vụ", "Event reported"),
    "audit.obligation.requested": ("Yêu cầu báo cáo đột xuất", "Ad hoc report requested"),
    "audit.unit.contacts_set": ("Cập nhật email liên hệ", "Contact addresses set"),
    "audit.detail_note": ("Ghi chú", "Note"),
    "audit.detail_reason": ("Lý do", "Reason"),
    "col.detail": ("Nội dung", "Details"),
    "mail.queued": ("đang chờ gửi", "queued"),
    "mail.sending": ("đang gửi", "sending"),
    "mail.sent": ("đã gửi", "sent"),
    "mail.failed": ("gửi không thành công", "failed"),
    "person.system": ("Hệ thống", "System"),
    "review.withdrawn": ("đã rút lại", "withdrawn"),
    # a returned report, confirmation and withdrawal
    "ob.returned_title": ("Báo cáo bị trả lại", "The report was returned"),
    "ob.returned_by": ("{who}, {when}", "{who}, {when}"),
    "ob.returned_fix": (
        "Nội dung lần báo cáo trước đã được điền sẵn bên dưới để đơn vị sửa và gửi lại.",
        "The previous report is filled in below: correct it and submit again.",
    ),
    "ob.confirm_title": ("Xác nhận gửi báo cáo", "Confirm the report"),
    "ob.confirm_text": (
        "Gửi báo cáo hoàn thành nhiệm vụ này cho Thường trực? Báo cáo có thể rút lại "
        "cho đến khi được duyệt.",
        "Send this report to the Standing Office? It can be withdrawn until it is reviewed.",
    ),
    "ob.confirm_yes": ("Xác nhận gửi", "Yes, submit"),
    "ob.confirm_no": ("Quay lại sửa", "Back to the form"),
    "ob.withdraw": ("Rút lại báo cáo", "Withdraw the report"),
    "ob.withdraw_help": (
        "Báo cáo đang chờ Thường trực duyệt. Đơn vị có thể rút lại để sửa rồi gửi lại.",
        "The report awaits review. You may withdraw it, correct it and submit again.",
    ),
    "flash.withdraw": ("Đã rút lại báo cáo; đơn vị có thể sửa và gửi lại.", "Withdrawn."),
    "flash.reviewed_accept": (
        "Đã chấp nhận báo cáo của {unit} (nhiệm vụ số {id}).",
        "Accepted the report of {unit} (obligation {id}).",
    ),
    "flash.reviewed_return": (
        "Đã trả lại báo cáo của {unit} (nhiệm vụ số {id}); đơn vị đã được thông báo.",
        "Returned the report of {unit} (obligation {id}); the unit was told.",
    ),
    # password change and forgotten password
    "account.password": ("Đổi mật khẩu", "Change password"),
    "account.password_current": ("Mật khẩu hiện tại", "Current password"),
    "account.password_new": ("Mật khẩu mới", "New password"),
    "account.password_again": ("Nhập lại mật khẩu mới", "New password again"),
    "account.password_help": (
        "Tối thiểu 10 ký tự, không dùng mật khẩu phổ biến hay địa chỉ email. Sau khi đổi, "
        "các phiên đăng nhập khác của tài khoản sẽ bị đăng xuất.",
        "At least 10 characters, not a common password nor your email. Changing it logs out "
        "the account's other sessions.",
    ),
    "account.password_submit": ("Đổi mật khẩu", "Change password"),
    "account.password_wrong": ("Mật khẩu hiện tại không đúng", "The current password is wrong"),
    "account.password_mismatch": (
        "Hai lần nhập mật khẩu mới không khớp nhau",
        "The two new passwords differ",
    ),
    "flash.password": (
        "Đã đổi mật khẩu; các phiên đăng nhập khác đã bị đăng xuất.",
        "Password changed; other sessions were logged out.",
    ),
    "login.forgot": ("Quên mật khẩu?", "Forgot your password?"),
    "forgot.title": ("Quên mật khẩu", "Forgotten password"),
    "forgot.help": (
        "Nhập email của tài khoản. Hệ thống sẽ gửi một liên kết đăng nhập dùng một lần "
        "(hiệu lực 1 giờ); sau khi đăng nhập, hãy đặt mật khẩu mới ở trang Tài khoản.",
        "Enter your account's email. We will send a one-time login link (valid for one hour); "
        "once logged in, set a new password on the Account page.",
    ),
    "forgot.submit": ("Gửi liên kết đăng nhập", "Send a login link"),
    "forgot.sent": (
        "Nếu email này có tài khoản đang hoạt động, một liên kết đăng nhập đã được gửi tới. "
        "Hãy kiểm tra hộp thư.",
        "If this email has an active account, a login link has been sent to it. Check your inbox.",
    ),
    "forgot.subject": ("Liên kết đăng nhập cổng theo dõi", "Your login link"),
    # the national roll-up of every plan in the account's scope
    "nav.national": ("Toàn quốc", "National"),
    "national.title": ("Tổng hợp các kế hoạch", "All plans at a glance"),
    "national.as_of": ("Số liệu đến ngày {day}", "Figures as of {day}"),
    "national.plans": ("{n} kế hoạch", "{n} plans"),
    "national.hint": (
        "Các nhiệm vụ của đơn vị chủ trì và đơn vị được đề nghị đã đến hạn (không tính nhiệm vụ "
        "đã hủy hoặc được miễn). Đã báo cáo: đã nộp hoặc đã được duyệt. Tỷ lệ đúng hạn: số được "
        "duyệt đúng hạn trên số được duyệt cộng số quá hạn chưa nộp, như ở Ma trận theo dõi.",
        "Obligations of lead and requested units whose deadline has passed (cancelled and waived "
        "ones excluded). Reported: submitted or accepted. On-time rate: accepted on time out of "
        "accepted plus late and not yet reported, as the Matrix counts it.",
    ),
    "national.plan": ("Kế hoạch", "Plan"),
    "national.reported": ("Đã báo cáo / đến hạn", "Reported / due"),
    "national.late": ("Quá hạn chưa nộp", "Late, not reported"),
    "national.total": ("Tổng cộng", "Total"),
    "national.cell": ("{done}/{total} đã báo cáo", "{done} of {total} reported"),
    # units and contact addresses
    "nav.units": ("Đơn vị, email", "Units"),
    "units.title": ("Email liên hệ của các đơn vị", "Contact addresses of the units"),
    "units.help": (
        "Nhiều địa chỉ cách nhau bởi dấu phẩy. Thay đổi được ghi vào nhật ký.",
        "Several addresses separated by commas. Changes are recorded in the audit log.",
    ),
    "units.placeholder_only": ("Chỉ đơn vị còn địa chỉ tạm", "Only placeholder addresses"),
    "units.save": ("Lưu", "Save"),
    "units.code": ("Mã", "Code"),
    "units.emails": ("Email liên hệ", "Contact emails"),
    "units.kind": ("Loại", "Kind"),
    "flash.units_saved": ("Đã lưu email liên hệ của {unit}.", "Saved the addresses of {unit}."),
    "units.placeholder_warning": (
        "{n} đơn vị còn dùng địa chỉ email tạm (*.example): thư nhắc, đôn đốc gửi tới đó sẽ "
        "không đến được ai.",
        "{n} units still have placeholder addresses (*.example): reminders sent there reach "
        "no one.",
    ),
    "units.placeholder_fix": ("Cập nhật email", "Set the addresses"),
    "units.none": ("Không có đơn vị nào phù hợp.", "No unit matches."),
    # counts
    "matrix.cell_hint": (
        "Ô: số nhiệm vụ đã hoàn thành (được chấp nhận) / tổng số nhiệm vụ của đơn vị trong kỳ.",
        "Cell: obligations completed (accepted) / all obligations of the unit in the period.",
    ),
    "fanout.count_hint": (
        "Đầu cột: số xã, phường đã nộp báo cáo (kể cả chờ duyệt) / tổng số xã, phường được giao.",
        "Column head: wards that submitted (including those awaiting review) / wards owing it.",
    ),
    "fanout.duty_full": ("Nội dung đầy đủ", "Full text"),
    # errors
    "error.title": ("Có lỗi", "Error"),
    "error.404": ("Không tìm thấy trang hoặc nhiệm vụ", "Not found"),
    "error.403": ("Bạn không có quyền truy cập trang này", "You may not see this page"),
    "error.401": ("Cần đăng nhập", "Login required"),
    "error.405": ("Phương thức không được hỗ trợ", "Method not allowed"),
    "error.413": ("Nội dung gửi lên quá lớn", "The request is too large"),
    "error.400": ("Yêu cầu không hợp lệ", "Bad request"),
    "error.422": ("Dữ liệu không hợp lệ", "Invalid input"),
    "error.503": (
        "Hệ thống tạm thời không kết nối được cơ sở dữ liệu, vui lòng thử lại sau ít phút",
        "The database is temporarily unavailable; please try again in a few minutes",
    ),
    "error.429": ("Quá nhiều yêu cầu, vui lòng thử lại sau", "Too many requests; try again later"),
    "error.csrf": (
        "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang.",
        "The form has expired or is invalid. Please reload the page.",
    ),
    "health.title": (
        "Hệ thống nhắc việc tự động cần được kiểm tra",
        "The unattended reminder service needs attention",
    ),
    "health.hint": (
        "Chạy `phancong status` trên máy chủ để xem chi tiết.",
        "Run `phancong status` on the server for details.",
    ),
    "error.back": ("Quay lại trang chủ", "Back to the start page"),
    "error.bad_date": (
        "Ngày không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)",
        "Invalid date (dd/mm/yyyy or yyyy-mm-dd)",
    ),
    "error.no_plan": ("Chưa có kế hoạch nào trong hệ thống", "No plan has been loaded"),
}


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    vi, en = CATALOG[key]
    text = en if lang == "en" else vi
    return text.format(**values) if values else text


def pick_lang(*candidates: str | None) -> str:
    for value in candidates:
        if value in LANGS:
            return value
    return DEFAULT_LANG


def status_label(status: str, lang: str = DEFAULT_LANG) -> str:
    """A status's name, or the late list's (the obligations list filters on both)."""
    vi, en = LATE_LABEL if status == LATE else LABELS[Status(status)]
    return en if lang == "en" else vi


# a cell of a matrix shows a symbol and a short word with its colour (colour alone says nothing
# to a colour-blind reader or on a black-and-white printout)
STATUS_MARKS: dict[str, str] = {
    "completed_on_time": "✓",
    "completed_late": "✓",
    "in_progress": "○",
    "overdue": "!",
    "submitted": "⧗",
    "returned": "↩",
    "blocked": "⏸",
    "not_open": "–",
    "waived": "∅",
    "cancelled": "×",
}
STATUS_SHORT: dict[str, tuple[str, str]] = {
    "completed_on_time": ("Đúng hạn", "On time"),
    "completed_late": ("Trễ hạn", "Late"),
    "in_progress": ("Đang làm", "Open"),
    "overdue": ("Quá hạn", "Overdue"),
    "submitted": ("Chờ duyệt", "Submitted"),
    "returned": ("Trả lại", "Returned"),
    "blocked": ("Đang chờ", "Blocked"),
    "not_open": ("Chưa đến kỳ", "Not open"),
    "waived": ("Miễn", "Waived"),
    "cancelled": ("Đã hủy", "Cancelled"),
}


def kind_label(kind: str, lang: str = DEFAULT_LANG) -> str:
    """A unit kind in words ('commune' → 'Xã, phường'); an unknown kind as stored."""
    return t(f"kind.{kind}", lang) if f"kind.{kind}" in CATALOG else kind


def status_mark(status: str) -> str:
    return STATUS_MARKS.get(status, "")


def status_short(status: str, lang: str = DEFAULT_LANG) -> str:
    vi, en = STATUS_SHORT.get(status, (status, status))
    return en if lang == "en" else vi


def period_name(label: str, lang: str = DEFAULT_LANG) -> str:
    try:
        return period_title(label, lang)
    except (ValueError, KeyError, IndexError):
        return label


def fmt_citation(source: str, lang: str = DEFAULT_LANG) -> str:
    """A duty's citation in the reader's language: 'IV.3, bullet 2' → 'Mục IV.3, gạch đầu dòng 2'.

    Stored citations keep their English form; see :mod:`phancong.domain.citation`.
    """
    return citation.fmt_citation(source, lang)


def fmt_date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def fmt_datetime(instant: dt.datetime | None, tz: str = TZ) -> str:
    if instant is None:
        return ""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")


def days_text(days_left: int, lang: str = DEFAULT_LANG) -> str:
    if days_left > 0:
        return t("days.left", lang, n=days_left)
    if days_left == 0:
        return t("days.today", lang)
    return t("days.late", lang, n=-days_left)


def parse_day(text: str) -> dt.date:
    """'31/12/2026' or '2026-12-31'; raises ValueError."""
    value = (text or "").strip()
    if "/" in value:
        return dt.datetime.strptime(value, "%d/%m/%Y").date()
    return dt.date.fromisoformat(value)
