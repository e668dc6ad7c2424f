//! Vietnamese names for generated records: people, crafts and their products, craft villages,
//! addresses, and the wording of titles and notes. Lists are weighted the way the country's
//! records read (Nguyễn is a third of family names; most establishments work in handicrafts and
//! food processing).

use rand::Rng;
use rand::seq::SliceRandom;

use crate::domain::certification::ProductGroup;

/// Picks an item by integer weights.
pub fn weighted<'a, T>(rng: &mut impl Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut ticket = rng.gen_range(0..total.max(1));
    for (item, weight) in items {
        if ticket < *weight {
            return item;
        }
        ticket -= weight;
    }
    &items[items.len() - 1].0
}

/// Picks one of `items` (which is never empty).
pub fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    items.choose(rng).expect("a non-empty list")
}

// ---------------------------------------------------------------------------------------------
// People

const FAMILY_NAMES: &[(&str, u32)] = &[
    ("Nguyễn", 310),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 50),
    ("Huỳnh", 40),
    ("Phan", 45),
    ("Vũ", 40),
    ("Võ", 40),
    ("Đặng", 20),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 6),
    ("Trương", 6),
    ("Lâm", 4),
    ("Mai", 4),
    ("Tạ", 3),
    ("Cao", 3),
    ("Lương", 3),
    ("Hà", 4),
    ("Kiều", 2),
    ("Đoàn", 4),
    ("Tô", 2),
    ("Quách", 1),
    ("Phùng", 2),
    ("Chu", 2),
    ("Thái", 2),
    ("Lưu", 2),
];

const MALE_MIDDLE: &[&str] = &[
    "Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Quang", "Xuân", "Công", "Thanh", "Ngọc", "Trọng", "Duy",
    "Tiến", "Bá", "Đình", "Quốc", "Mạnh",
];
const FEMALE_MIDDLE: &[&str] = &[
    "Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Hồng", "Bích", "Mỹ", "Thúy",
    "Phương", "Diệu",
];
const MALE_GIVEN: &[&str] = &[
    "Hùng", "Dũng", "Tuấn", "Hải", "Nam", "Sơn", "Long", "Thắng", "Bình", "Cường", "Quân", "Trung", "Hiếu",
    "Phong", "Thành", "Tài", "Lộc", "Phúc", "Khoa", "Tâm", "Toàn", "Vinh", "Hoàng", "Khải", "Đạt", "Nghĩa",
    "Tùng", "Huy", "Việt", "An", "Thịnh", "Kiên", "Tú", "Hưng", "Quyết", "Chiến", "Hòa", "Sáng", "Lợi",
    "Đông",
];
const FEMALE_GIVEN: &[&str] = &[
    "Lan",
    "Hương",
    "Mai",
    "Hoa",
    "Hạnh",
    "Linh",
    "Trang",
    "Thảo",
    "Nga",
    "Hằng",
    "Huyền",
    "Yến",
    "Nhung",
    "Loan",
    "Phượng",
    "Thủy",
    "Vân",
    "Oanh",
    "Liên",
    "Dung",
    "Tuyết",
    "Hà",
    "Ngân",
    "Quyên",
    "Nhi",
    "Hiền",
    "Diệp",
    "Xuân",
    "Thơm",
    "Lụa",
    "Huệ",
    "Chi",
];

/// Family names and given names of ethnic minorities of the northern uplands (Thái, H'Mông, Tày,
/// Nùng, Dao, Mường).
const UPLAND_FAMILY: &[&str] = &[
    "Lò", "Lường", "Cầm", "Quàng", "Giàng", "Sùng", "Vàng", "Thào", "Hờ", "Ma", "Nông", "Bế", "Triệu", "Lục",
    "Sầm", "Hà", "Đinh", "Bàn",
];
const UPLAND_MALE_GIVEN: &[&str] = &[
    "Pâng", "Páo", "Sình", "Dơ", "Chứ", "Sua", "Dính", "Khu", "Pó", "Thàng", "Chiến", "Ỏn", "Piếng",
];
const UPLAND_FEMALE_GIVEN: &[&str] = &[
    "Mỷ", "Dua", "Pằng", "Chua", "Hoa", "Ban", "Xuân", "Mai", "Lả", "Sinh",
];
/// Names of the Central Highlands (Ê Đê, Gia Rai, Ba Na), written in their own order.
const HIGHLAND_NAMES: &[&str] = &[
    "Y Kông Ayun",
    "H'Linh Mlô",
    "Ksor H'Bơ",
    "Rơ Châm Pho",
    "Siu Thị Hà",
    "Y Blin Niê",
    "H'Hen Niê",
    "Đinh Văn Krông",
    "Rah Lan Thuận",
    "Y Thông Byă",
    "H'Bia Êban",
    "Kpă Thị Nguyên",
];

/// A person's name; `woman` decides the middle and given names.
pub fn person(rng: &mut impl Rng, woman: bool) -> String {
    let family = weighted(rng, FAMILY_NAMES);
    let (middle, given) = if woman {
        (pick(rng, FEMALE_MIDDLE), pick(rng, FEMALE_GIVEN))
    } else {
        (pick(rng, MALE_MIDDLE), pick(rng, MALE_GIVEN))
    };
    format!("{family} {middle} {given}")
}

/// A name of an ethnic-minority person of the region (`highlands` for the Central Highlands).
pub fn minority_person(rng: &mut impl Rng, woman: bool, highlands: bool) -> String {
    if highlands && rng.gen_bool(0.6) {
        return pick(rng, HIGHLAND_NAMES).to_string();
    }
    let family = pick(rng, UPLAND_FAMILY);
    if woman {
        format!("{family} Thị {}", pick(rng, UPLAND_FEMALE_GIVEN))
    } else if rng.gen_bool(0.4) {
        format!("{family} A {}", pick(rng, UPLAND_MALE_GIVEN))
    } else {
        format!("{family} Văn {}", pick(rng, UPLAND_MALE_GIVEN))
    }
}

// ---------------------------------------------------------------------------------------------
// Crafts and products

/// A trade of rural industry: what establishments make, how it is classified, what its products
/// are called and where it is a village craft.
#[derive(Debug)]
pub struct Craft {
    /// As it follows "Cơ sở" or "Hợp tác xã": "mây tre đan", "gốm sứ".
    pub name: &'static str,
    pub group: ProductGroup,
    /// VSIC 2018 code of the main sector.
    pub vsic: &'static str,
    /// Product names, completed with a place or brand.
    pub products: &'static [&'static str],
    /// Villages famous for it (otherwise the commune gives the name).
    pub villages: &'static [&'static str],
    /// Machines a machinery project buys for it.
    pub machines: &'static [&'static str],
    /// Relative frequency among establishments.
    pub weight: u32,
}

pub const CRAFTS: &[Craft] = &[
    Craft {
        name: "mây tre đan",
        group: ProductGroup::Handicraft,
        vsic: "1629",
        products: &[
            "Giỏ mây đan tay",
            "Bộ khay tre hun khói",
            "Đèn mây tre trang trí",
            "Bộ hộp tre đựng trà",
            "Thảm lục bình",
            "Ghế mây tự nhiên",
        ],
        villages: &["Phú Vinh", "Chuông", "Thái Hòa", "Ninh Sở", "Bao La", "Phú Túc"],
        machines: &[
            "máy chẻ nan tre",
            "máy chuốt tăm tre",
            "lò sấy hơi nước",
            "máy đánh bóng",
        ],
        weight: 14,
    },
    Craft {
        name: "gốm sứ",
        group: ProductGroup::Handicraft,
        vsic: "2393",
        products: &[
            "Bình gốm men lam",
            "Bộ ấm chén men rạn",
            "Lọ hoa men hỏa biến",
            "Đĩa gốm vẽ tay",
            "Chum gốm men nâu",
            "Bộ bát đĩa men ngọc",
        ],
        villages: &[
            "Bát Tràng",
            "Phù Lãng",
            "Chu Đậu",
            "Bàu Trúc",
            "Thanh Hà",
            "Biên Hòa",
            "Lái Thiêu",
        ],
        machines: &[
            "lò nung gas",
            "máy nhào đất",
            "máy lọc men",
            "máy in lụa trang trí",
        ],
        weight: 8,
    },
    Craft {
        name: "sơn mài",
        group: ProductGroup::Handicraft,
        vsic: "3290",
        products: &[
            "Tranh sơn mài phong cảnh",
            "Bộ hộp sơn mài",
            "Khay sơn mài khảm trai",
            "Bình sơn mài",
        ],
        villages: &["Hạ Thái", "Tương Bình Hiệp", "Đình Bảng"],
        machines: &["máy phun sơn", "buồng sấy sơn", "máy mài bóng"],
        weight: 3,
    },
    Craft {
        name: "thêu ren",
        group: ProductGroup::Handicraft,
        vsic: "1399",
        products: &[
            "Tranh thêu tay",
            "Bộ khăn trải bàn thêu",
            "Áo dài thêu tay",
            "Túi thêu hoa văn",
        ],
        villages: &["Quất Động", "Văn Lâm", "Thanh Hà", "Xuân Nẻo"],
        machines: &["máy thêu vi tính", "máy may công nghiệp", "máy cắt vải"],
        weight: 4,
    },
    Craft {
        name: "dệt thổ cẩm",
        group: ProductGroup::Handicraft,
        vsic: "1312",
        products: &[
            "Khăn thổ cẩm",
            "Túi thổ cẩm",
            "Váy thổ cẩm",
            "Tấm thổ cẩm trang trí",
        ],
        villages: &["Lác", "Mỹ Nghiệp", "Chiềng Châu", "Nà Phặc", "Văn Giáo"],
        machines: &["khung dệt cải tiến", "máy se sợi", "máy nhuộm"],
        weight: 4,
    },
    Craft {
        name: "đồ gỗ mỹ nghệ",
        group: ProductGroup::Handicraft,
        vsic: "3100",
        products: &[
            "Bộ bàn ghế gỗ chạm",
            "Tượng gỗ mỹ nghệ",
            "Hộp gỗ khảm trai",
            "Tủ gỗ chạm khắc",
        ],
        villages: &[
            "Đồng Kỵ",
            "Kim Bồng",
            "Phù Khê",
            "La Xuyên",
            "Thiết Ứng",
            "Chàng Sơn",
        ],
        machines: &[
            "máy CNC khắc gỗ",
            "máy chà nhám",
            "máy bào cuốn",
            "buồng phun sơn",
        ],
        weight: 8,
    },
    Craft {
        name: "chạm khắc đá",
        group: ProductGroup::Handicraft,
        vsic: "2396",
        products: &["Tượng đá mỹ nghệ", "Lư hương đá", "Đèn đá trang trí", "Bộ bàn đá"],
        villages: &["Non Nước", "Ninh Vân", "Bửu Long"],
        machines: &["máy cắt đá CNC", "máy mài đá", "máy khoan đá"],
        weight: 2,
    },
    Craft {
        name: "đúc đồng",
        group: ProductGroup::Handicraft,
        vsic: "2432",
        products: &["Lư đồng", "Tượng đồng", "Chuông đồng", "Trống đồng mỹ nghệ"],
        villages: &["Đại Bái", "Phước Kiều", "Ngũ Xã", "Trà Đông"],
        machines: &["lò nấu đồng cảm ứng", "máy đánh bóng", "máy tiện"],
        weight: 2,
    },
    Craft {
        name: "nón lá",
        group: ProductGroup::Handicraft,
        vsic: "1629",
        products: &["Nón lá bài thơ", "Nón lá vẽ tay", "Nón lá quai thao"],
        villages: &["Chuông", "Tây Hồ", "Gia Thanh"],
        machines: &["máy sấy lá", "máy ép vành nón"],
        weight: 2,
    },
    Craft {
        name: "chế biến chè",
        group: ProductGroup::AgroFoodProcessing,
        vsic: "1077",
        products: &["Chè Shan tuyết", "Chè búp sao tay", "Trà ô long", "Chè móc câu"],
        villages: &["Tân Cương", "Phìn Hồ", "Suối Giàng", "Bảo Lộc"],
        machines: &[
            "máy vò chè",
            "máy sao chè",
            "máy sấy chè băng tải",
            "máy đóng gói chè",
        ],
        weight: 6,
    },
    Craft {
        name: "nước mắm",
        group: ProductGroup::AgroFoodProcessing,
        vsic: "1020",
        products: &["Nước mắm cá cơm truyền thống", "Nước mắm nhỉ", "Mắm tôm"],
        villages: &["Phú Quốc", "Phan Thiết", "Cát Hải", "Nam Ô", "Sa Huỳnh"],
        machines: &["hệ thống lọc nước mắm", "máy chiết rót", "thùng ủ inox"],
        weight: 3,
    },
    Craft {
        name: "bánh tráng",
        group: ProductGroup::AgroFoodProcessing,
        vsic: "1079",
        products: &["Bánh tráng phơi sương", "Bánh tráng mè", "Bánh đa nem"],
        villages: &["Trảng Bàng", "Túy Loan", "Thổ Hà", "Mỹ Lồng"],
        machines: &["máy tráng bánh", "máy sấy bánh", "máy xay bột"],
        weight: 3,
    },
    Craft {
        name: "miến dong",
        group: ProductGroup::AgroFoodProcessing,
        vsic: "1074",
        products: &["Miến dong", "Miến dong đặc sản", "Bún khô"],
        villages: &["Cự Đà", "Bình Liêu", "Minh Hồng", "Dương Liễu"],
        machines: &["máy tráng miến", "máy cắt sợi", "máy lọc bột", "lò hấp"],
        weight: 3,
    },
    Craft {
        name: "cà phê rang xay",
        group: ProductGroup::AgroFoodProcessing,
        vsic: "1077",
        products: &["Cà phê rang xay", "Cà phê hạt Robusta", "Cà phê chồn"],
        villages: &["Buôn Ma Thuột", "Khe Sanh", "Cầu Đất"],
        machines: &["máy rang cà phê", "máy xay cà phê", "máy đóng gói van một chiều"],
        weight: 3,
    },
    Craft {
        name: "chế biến hạt điều",
        group: ProductGroup::AgroFoodProcessing,
        vsic: "1030",
        products: &["Hạt điều rang muối", "Hạt điều rang củi"],
        villages: &["Bình Phước", "Phú Riềng"],
        machines: &["máy tách vỏ hạt điều", "máy phân loại hạt", "lò rang"],
        weight: 2,
    },
    Craft {
        name: "rượu truyền thống",
        group: ProductGroup::AgroFoodProcessing,
        vsic: "1101",
        products: &[
            "Rượu làng Vân",
            "Rượu ngô men lá",
            "Rượu cần",
            "Rượu nếp cái hoa vàng",
        ],
        villages: &["Vân", "Bàu Đá", "Kim Sơn", "Phú Lễ"],
        machines: &["nồi chưng cất", "hệ thống lọc rượu", "máy chiết rót"],
        weight: 3,
    },
    Craft {
        name: "kẹo dừa",
        group: ProductGroup::AgroFoodProcessing,
        vsic: "1073",
        products: &["Kẹo dừa sầu riêng", "Kẹo dừa lá dứa", "Bánh phồng sữa"],
        villages: &["Mỏ Cày", "Bến Tre", "Sơn Đốc"],
        machines: &["nồi nấu kẹo", "máy cắt kẹo", "máy đóng gói"],
        weight: 2,
    },
    Craft {
        name: "giò chả",
        group: ProductGroup::AgroFoodProcessing,
        vsic: "1010",
        products: &["Giò lụa", "Chả quế", "Nem chua"],
        villages: &["Ước Lễ", "Thanh Hóa", "Lai Vung"],
        machines: &["máy xay giò", "tủ cấp đông", "máy hút chân không"],
        weight: 2,
    },
    Craft {
        name: "nông sản sấy",
        group: ProductGroup::AgroFoodProcessing,
        vsic: "1030",
        products: &["Xoài sấy dẻo", "Chuối sấy", "Mít sấy", "Gừng sấy"],
        villages: &["Cái Bè", "Chợ Lách", "Lục Ngạn"],
        machines: &["máy sấy thăng hoa", "máy sấy bơm nhiệt", "máy thái lát"],
        weight: 3,
    },
    Craft {
        name: "mật ong",
        group: ProductGroup::AgroFoodProcessing,
        vsic: "1079",
        products: &["Mật ong hoa nhãn", "Mật ong bạc hà", "Mật ong rừng"],
        villages: &["Đồng Văn", "Mèo Vạc", "Ba Vì"],
        machines: &["máy quay mật", "máy hạ thủy phần", "máy chiết rót"],
        weight: 2,
    },
    Craft {
        name: "cơ khí nông cụ",
        group: ProductGroup::MachineryTools,
        vsic: "2821",
        products: &["Máy tuốt lúa", "Máy cày mini", "Máy băm cỏ", "Máy gieo hạt"],
        villages: &["Xuân Tiến", "Tống Xá", "Thanh Thùy"],
        machines: &["máy tiện CNC", "máy phay", "máy cắt plasma", "máy hàn tự động"],
        weight: 3,
    },
    Craft {
        name: "rèn dao kéo",
        group: ProductGroup::MachineryTools,
        vsic: "2593",
        products: &["Dao rèn thủ công", "Bộ dao bếp", "Kéo cắt cành"],
        villages: &["Đa Sỹ", "Phúc Sen", "Thượng Lâm", "Vân Chàng"],
        machines: &["búa máy", "lò rèn khí", "máy mài lưỡi"],
        weight: 2,
    },
    Craft {
        name: "cơ khí chế tạo máy",
        group: ProductGroup::MachineryTools,
        vsic: "2825",
        products: &[
            "Máy sấy nông sản",
            "Máy ép viên thức ăn",
            "Máy xay xát mini",
            "Máy bóc vỏ",
        ],
        villages: &["Tống Xá", "Yên Lạc", "Tề Lỗ"],
        machines: &["máy chấn tôn", "máy cắt laser", "máy tiện CNC"],
        weight: 2,
    },
    Craft {
        name: "hương trầm",
        group: ProductGroup::Other,
        vsic: "3290",
        products: &["Hương trầm", "Nhang quế", "Nụ trầm"],
        villages: &["Quảng Phú Cầu", "Thủy Xuân", "Tân Phú"],
        machines: &["máy se hương", "máy sấy hương", "máy nghiền bột"],
        weight: 3,
    },
    Craft {
        name: "giấy dó",
        group: ProductGroup::Other,
        vsic: "1709",
        products: &["Giấy dó", "Sổ tay giấy dó", "Tranh giấy dó"],
        villages: &["Dương Ổ", "Phong Phong", "Suối Cỏ"],
        machines: &["máy nghiền bột giấy", "máy xeo giấy"],
        weight: 1,
    },
    Craft {
        name: "tinh dầu",
        group: ProductGroup::Other,
        vsic: "2029",
        products: &["Tinh dầu quế", "Tinh dầu sả chanh", "Tinh dầu bưởi"],
        villages: &["Trà Bồng", "Văn Yên", "Hòa An"],
        machines: &["nồi chưng cất tinh dầu", "máy chiết rót", "máy lọc"],
        weight: 2,
    },
    Craft {
        name: "chổi đót",
        group: ProductGroup::Other,
        vsic: "3290",
        products: &["Chổi đót", "Chổi tre"],
        villages: &["Triều Khúc", "Đông Cao"],
        machines: &["máy ép cán chổi", "máy khâu chổi"],
        weight: 1,
    },
];

/// The crafts weighted by how often establishments practise them.
pub fn craft(rng: &mut impl Rng) -> usize {
    let total: u32 = CRAFTS.iter().map(|c| c.weight).sum();
    let mut ticket = rng.gen_range(0..total);
    for (i, craft) in CRAFTS.iter().enumerate() {
        if ticket < craft.weight {
            return i;
        }
        ticket -= craft.weight;
    }
    0
}

/// A brand an enterprise trades under.
const BRANDS: &[&str] = &[
    "Hoàng Gia",
    "Phú Thịnh",
    "An Phát",
    "Minh Long",
    "Tân Tiến",
    "Việt Hưng",
    "Thành Công",
    "Hưng Thịnh",
    "Đại Phát",
    "Sao Mai",
    "Hồng Hà",
    "Trường Sơn",
    "Kim Ngân",
    "Thiên Phú",
    "Bảo Ngọc",
    "Hòa Bình",
    "Phúc Lộc",
    "Nam Việt",
    "Đông Á",
    "Hải Âu",
    "Tràng An",
    "Lam Sơn",
    "Cửu Long",
    "Tây Bắc",
    "Sông Hồng",
    "Quê Hương",
    "Mộc Lan",
    "Trúc Xanh",
    "Đất Việt",
    "Làng Xưa",
];

pub fn brand(rng: &mut impl Rng) -> &'static str {
    pick::<&str>(rng, BRANDS)
}

/// A craft village named after a place ("Làng nghề gốm Bát Tràng").
pub fn craft_village_name(craft: &Craft, place: &str) -> String {
    format!("Làng nghề {} {place}", craft.name)
}

/// The place a craft establishment is known by: a famous village of its craft, sometimes, or its
/// commune.
pub fn place_name<'a>(rng: &mut impl Rng, craft: &'a Craft, commune_name: &'a str) -> &'a str {
    if !craft.villages.is_empty() && rng.gen_bool(0.2) {
        pick::<&str>(rng, craft.villages)
    } else {
        commune_name
    }
}

/// A product of `craft` completed with a place or brand ("Bộ ấm chén men rạn Bát Tràng").
pub fn product_name(rng: &mut impl Rng, craft: &Craft, place: &str) -> String {
    format!("{} {place}", pick(rng, craft.products))
}

pub fn product_description(rng: &mut impl Rng, craft: &Craft) -> String {
    let templates: &[&str] = match craft.group {
        ProductGroup::Handicraft => &[
            "Sản phẩm {craft} làm thủ công hoàn toàn từ nguyên liệu địa phương, mẫu mã kế thừa hoa văn truyền thống.",
            "Sản phẩm {craft} do nghệ nhân và thợ lành nghề của làng thực hiện, đạt tiêu chuẩn xuất khẩu.",
            "Sản phẩm {craft} kết hợp kỹ thuật truyền thống với thiết kế hiện đại, phục vụ thị trường trong nước và du lịch.",
        ],
        ProductGroup::AgroFoodProcessing => &[
            "Sản phẩm chế biến theo phương pháp truyền thống, không chất bảo quản, có truy xuất nguồn gốc.",
            "Nguyên liệu từ vùng trồng của địa phương, chế biến trên dây chuyền đạt chuẩn an toàn thực phẩm.",
            "Sản phẩm đặc sản địa phương, đóng gói tiện lợi, phân phối qua hệ thống siêu thị và thương mại điện tử.",
        ],
        ProductGroup::MachineryTools => &[
            "Sản phẩm cơ khí chế tạo trong nước, thay thế hàng nhập khẩu, bảo hành 12 tháng.",
            "Thiết bị phục vụ sản xuất nông nghiệp, vận hành đơn giản, tiết kiệm điện năng.",
        ],
        ProductGroup::Other => &[
            "Sản phẩm thủ công truyền thống của địa phương, nguyên liệu tự nhiên, thân thiện môi trường.",
            "Sản phẩm {craft} sản xuất theo quy trình truyền thống, được người tiêu dùng tin dùng nhiều năm.",
        ],
    };
    pick(rng, templates).replace("{craft}", craft.name)
}

pub fn quality_standards(rng: &mut impl Rng, group: ProductGroup) -> Vec<String> {
    let options: &[&str] = match group {
        ProductGroup::AgroFoodProcessing => {
            &["TCVN ISO 22000:2018", "HACCP", "VietGAP", "Sản phẩm OCOP 4 sao"]
        }
        ProductGroup::MachineryTools => &["TCVN ISO 9001:2015", "QCVN 01:2008/BLĐTBXH"],
        _ => &["TCVN ISO 9001:2015", "Sản phẩm OCOP 3 sao", "Sản phẩm OCOP 4 sao"],
    };
    let count = rng.gen_range(0..=2usize).min(options.len());
    let mut chosen: Vec<String> = options
        .choose_multiple(rng, count)
        .map(|s| s.to_string())
        .collect();
    chosen.sort();
    chosen
}

pub fn awards(rng: &mut impl Rng, year: i32) -> Vec<String> {
    if rng.gen_bool(0.7) {
        return Vec::new();
    }
    let templates = [
        "Giải Ba Hội chợ triển lãm hàng công nghiệp nông thôn tiêu biểu {y}",
        "Bằng khen của Ủy ban nhân dân tỉnh năm {y}",
        "Huy chương Vàng Hội chợ hàng Việt Nam chất lượng cao {y}",
        "Giải Khuyến khích Cuộc thi thiết kế sản phẩm thủ công mỹ nghệ {y}",
    ];
    vec![pick(rng, &templates).replace("{y}", &year.to_string())]
}

// ---------------------------------------------------------------------------------------------
// Establishments

/// How an establishment of a legal form is named.
pub fn establishment_name(
    rng: &mut impl Rng,
    legal_form: &str,
    craft: &Craft,
    place: &str,
    owner: &str,
) -> String {
    match legal_form {
        "enterprise" => match rng.gen_range(0..4) {
            0 => format!("Công ty TNHH {} {}", capitalised(craft.name), brand(rng)),
            1 => format!("Công ty TNHH {} {place}", capitalised(craft.name)),
            2 => format!("Công ty Cổ phần {} {}", capitalised(craft.name), brand(rng)),
            _ => format!("Doanh nghiệp tư nhân {} {place}", craft.name),
        },
        "cooperative" => {
            if rng.gen_bool(0.25) {
                format!("HTX {} {place}", craft.name)
            } else {
                format!("Hợp tác xã {} {place}", craft.name)
            }
        }
        "cooperative_union" => format!("Liên hiệp Hợp tác xã {} {place}", craft.name),
        "cooperative_group" => format!("Tổ hợp tác {} {place}", craft.name),
        "artisan" => {
            if rng.gen_bool(0.5) {
                format!("Nghệ nhân {owner}")
            } else {
                format!("Cơ sở {} nghệ nhân {owner}", craft.name)
            }
        }
        _ => match rng.gen_range(0..3) {
            0 => format!("Cơ sở {} {place}", craft.name),
            1 => format!("Cơ sở {} {owner}", craft.name),
            _ => format!("Hộ kinh doanh {owner}"),
        },
    }
}

/// `text` with its first letter in capitals ("mây tre đan" → "Mây tre đan").
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `text` with its first letter in lower case ("Tỉnh Bắc Ninh" → "tỉnh Bắc Ninh").
pub fn lowercased_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

const STREETS: &[&str] = &[
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Quang Trung",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Hùng Vương",
    "Nguyễn Huệ",
    "Phan Chu Trinh",
    "Lê Duẩn",
    "Trần Phú",
    "Nguyễn Du",
    "Bà Triệu",
    "Điện Biên Phủ",
];
const HAMLETS: &[&str] = &[
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Thượng",
    "Hạ",
    "Trung",
    "Chùa",
    "Đình",
    "Mới",
    "Cầu",
    "Chợ",
    "An Lạc",
    "Phú Lợi",
    "Bình An",
    "Tân Lập",
    "Hòa Bình",
    "Đồng Tâm",
];

/// An address line as people write it: a hamlet in the countryside, a street in a ward.
pub fn address(rng: &mut impl Rng, region: &str, ward: bool) -> String {
    if ward || rng.gen_bool(0.1) {
        return format!("Số {} đường {}", rng.gen_range(1..300), pick(rng, STREETS));
    }
    let hamlet = if rng.gen_bool(0.3) {
        rng.gen_range(1..15).to_string()
    } else {
        pick(rng, HAMLETS).to_string()
    };
    match region {
        "nam" => format!("Ấp {hamlet}"),
        "trung_tay_nguyen" if rng.gen_bool(0.2) => format!("Buôn {hamlet}"),
        "bac" if rng.gen_bool(0.4) => format!("Xóm {hamlet}"),
        _ => format!("Thôn {hamlet}"),
    }
}

/// The ASCII form of a name for e-mail addresses and web sites ("Gốm Bát Tràng" → "gombattrang").
pub fn slug(text: &str) -> String {
    crate::domain::search::search_key(text)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Projects

/// The title of a project of `activity` (≤ 500 characters, as the API requires).
pub fn project_title(
    activity: &str,
    craft: &Craft,
    product: &str,
    establishment: &str,
    commune: &str,
    province: &str,
    year: i64,
) -> String {
    match activity {
        "machinery_application" => {
            format!("Hỗ trợ ứng dụng máy móc thiết bị tiên tiến trong sản xuất {product} tại {establishment}")
        }
        "vocational_training" => format!("Đào tạo nghề {} cho lao động nông thôn {commune}", craft.name),
        "demonstration_model" => {
            format!("Xây dựng mô hình trình diễn kỹ thuật sản xuất {product} tại {establishment}")
        }
        "trade_fair" => format!("Tổ chức hội chợ triển lãm hàng công nghiệp nông thôn {province} năm {year}"),
        "product_development" => {
            format!("Tổ chức bình chọn sản phẩm công nghiệp nông thôn tiêu biểu {province} năm {year}")
        }
        "brand_registration" => {
            format!("Hỗ trợ đăng ký nhãn hiệu cho sản phẩm {product} của {establishment}")
        }
        "showroom" => format!(
            "Hỗ trợ xây dựng điểm giới thiệu và bán sản phẩm công nghiệp nông thôn tiêu biểu tại {establishment}"
        ),
        "information_communication" => {
            format!("Xây dựng chuyên mục khuyến công trên truyền hình {province} năm {year}")
        }
        "management_capacity" => format!(
            "Tập huấn nâng cao năng lực quản lý cho cơ sở công nghiệp nông thôn {province} năm {year}"
        ),
        "consulting" => format!("Tư vấn lập kế hoạch kinh doanh và tiếp thị cho {establishment}"),
        "cleaner_production" => format!("Tư vấn áp dụng sản xuất sạch hơn tại {establishment}"),
        "pollution_treatment" => format!(
            "Hỗ trợ xử lý ô nhiễm môi trường tại làng nghề {} {commune}",
            craft.name
        ),
        "industrial_cluster_planning" => {
            format!("Lập quy hoạch chi tiết cụm công nghiệp {commune}, {province}")
        }
        "industrial_cluster_infrastructure" => {
            format!("Hỗ trợ đầu tư xây dựng hạ tầng kỹ thuật cụm công nghiệp {commune}, {province}")
        }
        "relocation" => format!("Hỗ trợ di dời {establishment} vào cụm công nghiệp"),
        "business_association" => format!("Hỗ trợ thành lập hiệp hội {} {province}", craft.name),
        "international_cooperation" => {
            format!(
                "Khảo sát, học tập kinh nghiệm phát triển nghề {} ở nước ngoài năm {year}",
                craft.name
            )
        }
        "system_capacity" => {
            format!("Nâng cao năng lực cán bộ làm công tác khuyến công {province} năm {year}")
        }
        "sustainable_production" => format!("Hỗ trợ áp dụng mô hình sản xuất bền vững tại {establishment}"),
        "digital_transformation" => format!("Hỗ trợ chuyển đổi số cho {establishment}"),
        "artisan_support" => format!("Hỗ trợ nghệ nhân truyền nghề {} tại {commune}", craft.name),
        other => format!("Đề án khuyến công {other} tại {commune}, {province} năm {year}"),
    }
}

/// A summary for a project, or none (about a third have none, as in practice).
pub fn project_summary(rng: &mut impl Rng, activity: &str, craft: &Craft) -> Option<String> {
    if rng.gen_bool(0.35) {
        return None;
    }
    Some(match activity {
        "machinery_application" | "demonstration_model" => format!(
            "Đầu tư {} thay thế lao động thủ công, nâng cao năng suất và chất lượng sản phẩm {}; tạo việc làm ổn định cho lao động địa phương.",
            pick(rng, craft.machines),
            craft.name
        ),
        "vocational_training" => format!(
            "Mở {} lớp đào tạo nghề {} trong {} tháng cho lao động nông thôn; học viên được cấp chứng chỉ và nhận vào làm tại cơ sở.",
            rng.gen_range(1..4),
            craft.name,
            rng.gen_range(2..6)
        ),
        _ => "Đề án nhằm nâng cao năng lực sản xuất, phát triển sản phẩm và mở rộng thị trường cho các cơ sở công nghiệp nông thôn của địa phương.".to_owned(),
    })
}

pub const RETURN_NOTES: &[&str] = &[
    "Hồ sơ thiếu báo giá thiết bị của ít nhất ba nhà cung cấp.",
    "Dự toán chưa phù hợp định mức; đề nghị rà soát lại nội dung chi.",
    "Cơ sở thụ hưởng chưa bổ sung giấy tờ về quyền sử dụng đất nhà xưởng.",
];
pub const SUSPEND_NOTES: &[&str] = &[
    "Tạm dừng do cơ sở thụ hưởng chưa hoàn thành nhà xưởng.",
    "Tạm dừng chờ điều chỉnh thiết kế dây chuyền thiết bị.",
    "Tạm dừng do ảnh hưởng của thiên tai tại địa phương.",
];
pub const CANCEL_NOTES: &[&str] = &[
    "Cơ sở thụ hưởng xin rút khỏi đề án.",
    "Không bố trí được vốn đối ứng.",
    "Nội dung trùng với chương trình hỗ trợ khác.",
];
pub const ADJUSTMENT_REASONS: &[&str] = &[
    "Điều chỉnh giảm kinh phí do giá thiết bị giảm sau lựa chọn nhà thầu.",
    "Điều chỉnh tăng vốn đối ứng của cơ sở để mở rộng quy mô sản xuất.",
    "Điều chỉnh nội dung và kinh phí theo đề nghị của đơn vị thực hiện.",
];
pub const CAP_OVERRIDE_REASONS: &[&str] = &[
    "Đề án trọng điểm của vùng khó khăn, được Bộ trưởng đồng ý hỗ trợ vượt mức.",
    "Mô hình điểm cấp quốc gia theo chỉ đạo của Bộ Công Thương.",
];

// ---------------------------------------------------------------------------------------------
// Certification

pub const REVOCATION_REASONS: &[&str] = &[
    "Sản phẩm không còn đáp ứng tiêu chí bình chọn.",
    "Cơ sở sản xuất vi phạm quy định về an toàn thực phẩm.",
    "Phát hiện hồ sơ dự thi không trung thực.",
    "Cơ sở sản xuất ngừng hoạt động.",
];

pub const ENTRY_NOTES: &[&str] = &[
    "Hồ sơ bổ sung ảnh sản phẩm.",
    "Sản phẩm dự thi kèm mẫu trưng bày.",
    "Cơ sở đề nghị giữ bí mật công thức sản xuất.",
];
