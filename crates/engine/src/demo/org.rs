//! The organisation: departments, the manager tree, and the people in it.
//!
//! Policy: the tree is built breadth first, department by department, so that every manager
//! has a smaller index (and so a smaller id) than each of their reports. That makes manager
//! loops impossible by construction and lets one forward pass inherit a manager's location.
//! Spans of control are drawn between [`MIN_SPAN`] and [`MAX_SPAN`] (mean ten), which makes
//! about one identity in ten a manager, as in a real company.

use std::collections::HashMap;

use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::names::{FIRST_NAMES, LAST_NAMES, LOCATIONS};

/// The fewest direct reports a manager gets, unless their whole department is smaller.
pub(super) const MIN_SPAN: usize = 5;
/// The most direct reports any manager below the CEO gets.
pub(super) const MAX_SPAN: usize = 15;

/// The index of the head office in the location list (New York).
const HEAD_OFFICE: usize = 0;

/// Department indices. Security comes first so that its head, the CISO, is always `E000002`.
pub(super) const SECURITY: usize = 0;
pub(super) const IT: usize = 1;
pub(super) const ENGINEERING: usize = 2;
pub(super) const PRODUCT: usize = 3;
pub(super) const SALES: usize = 4;
pub(super) const MARKETING: usize = 5;
pub(super) const SUPPORT: usize = 6;
pub(super) const OPERATIONS: usize = 7;
pub(super) const FINANCE: usize = 8;
pub(super) const HR: usize = 9;
pub(super) const LEGAL: usize = 10;
/// The CEO's department; it has no head of its own and no other members.
pub(super) const EXECUTIVE: usize = 11;
/// Departments that get a head reporting to the CEO (all but Executive).
pub(super) const HEADED: usize = 11;

/// A set of departments, one bit per department index.
pub(super) type DeptMask = u16;
/// Every department.
pub(super) const ALL: DeptMask = (1 << 12) - 1;

/// The bit of one department in a [`DeptMask`].
pub(super) const fn bit(dept: usize) -> DeptMask {
    1 << dept
}

/// A job title for individual contributors, how common it is, and the job role it implies.
pub(super) struct IcTitle {
    pub title: &'static str,
    pub weight: u32,
    pub job_role: Option<&'static str>,
}

const fn ic(title: &'static str, weight: u32, job_role: Option<&'static str>) -> IcTitle {
    IcTitle {
        title,
        weight,
        job_role,
    }
}

/// A department and the titles its people carry at each level.
pub(super) struct Department {
    pub name: &'static str,
    /// Cost-centre code, e.g. `ENG` in `CC-ENG-104`.
    pub code: &'static str,
    /// Lower-case word used in mailing lists and shares.
    pub slug: &'static str,
    /// Share of the workforce, in percent.
    pub weight: u32,
    pub head_title: &'static str,
    pub director_title: &'static str,
    pub senior_manager_title: &'static str,
    pub manager_title: &'static str,
    pub ic_titles: &'static [IcTitle],
}

/// Every department, in index order.
pub(super) const DEPARTMENTS: [Department; 12] = [
    Department {
        name: "Security",
        code: "SEC",
        slug: "security",
        weight: 3,
        head_title: "Chief Information Security Officer",
        director_title: "Director of Security Operations",
        senior_manager_title: "Senior Security Manager",
        manager_title: "Security Manager",
        ic_titles: &[
            ic("Security Analyst", 30, Some("Security Analyst")),
            ic("Senior Security Analyst", 15, Some("Security Analyst")),
            ic("Security Engineer", 30, Some("Security Engineer")),
            ic("Senior Security Engineer", 15, Some("Security Engineer")),
            ic("GRC Analyst", 10, None),
        ],
    },
    Department {
        name: "IT",
        code: "IT",
        slug: "it",
        weight: 7,
        head_title: "Chief Information Officer",
        director_title: "Director of IT",
        senior_manager_title: "Senior IT Manager",
        manager_title: "IT Manager",
        ic_titles: &[
            ic("IT Support Specialist", 35, Some("IT Support Specialist")),
            ic(
                "Senior IT Support Specialist",
                10,
                Some("IT Support Specialist"),
            ),
            ic("Systems Administrator", 18, Some("Systems Administrator")),
            ic("Network Engineer", 10, Some("Systems Administrator")),
            ic("Database Administrator", 6, Some("Database Administrator")),
            ic("Cloud Engineer", 6, Some("Cloud Administrator")),
            ic("Identity Engineer", 5, None),
            ic("IT Asset Coordinator", 10, Some("IT Support Specialist")),
        ],
    },
    Department {
        name: "Engineering",
        code: "ENG",
        slug: "engineering",
        weight: 28,
        head_title: "VP Engineering",
        director_title: "Director of Engineering",
        senior_manager_title: "Senior Engineering Manager",
        manager_title: "Engineering Manager",
        ic_titles: &[
            ic("Software Engineer", 30, Some("Software Engineer")),
            ic("Senior Software Engineer", 25, Some("Software Engineer")),
            ic("Staff Software Engineer", 6, Some("Software Engineer")),
            ic("Principal Engineer", 2, Some("Software Engineer")),
            ic(
                "Site Reliability Engineer",
                8,
                Some("Site Reliability Engineer"),
            ),
            ic("Data Engineer", 7, Some("Data Engineer")),
            ic("QA Engineer", 7, Some("Software Engineer")),
            ic("Mobile Engineer", 6, Some("Software Engineer")),
            ic("Engineering Program Manager", 3, None),
        ],
    },
    Department {
        name: "Product",
        code: "PRD",
        slug: "product",
        weight: 6,
        head_title: "VP Product",
        director_title: "Director of Product Management",
        senior_manager_title: "Group Product Manager",
        manager_title: "Lead Product Manager",
        ic_titles: &[
            ic("Product Manager", 40, Some("Product Manager")),
            ic("Senior Product Manager", 22, Some("Product Manager")),
            ic("Product Designer", 20, Some("Product Designer")),
            ic("UX Researcher", 10, Some("Product Designer")),
            ic("Technical Writer", 8, None),
        ],
    },
    Department {
        name: "Sales",
        code: "SLS",
        slug: "sales",
        weight: 15,
        head_title: "Chief Revenue Officer",
        director_title: "Regional Sales Director",
        senior_manager_title: "Senior Sales Manager",
        manager_title: "Sales Manager",
        ic_titles: &[
            ic("Account Executive", 35, Some("Account Executive")),
            ic("Senior Account Executive", 15, Some("Account Executive")),
            ic(
                "Sales Development Representative",
                25,
                Some("Account Executive"),
            ),
            ic("Solutions Engineer", 10, None),
            ic(
                "Sales Operations Analyst",
                8,
                Some("Sales Operations Analyst"),
            ),
            ic("Customer Success Manager", 7, Some("Account Executive")),
        ],
    },
    Department {
        name: "Marketing",
        code: "MKT",
        slug: "marketing",
        weight: 7,
        head_title: "Chief Marketing Officer",
        director_title: "Director of Marketing",
        senior_manager_title: "Senior Marketing Manager",
        manager_title: "Marketing Manager",
        ic_titles: &[
            ic("Marketing Specialist", 30, Some("Marketing Specialist")),
            ic("Content Strategist", 15, Some("Marketing Specialist")),
            ic(
                "Product Marketing Manager",
                15,
                Some("Marketing Specialist"),
            ),
            ic(
                "Demand Generation Specialist",
                15,
                Some("Marketing Specialist"),
            ),
            ic("Marketing Analyst", 12, Some("Marketing Specialist")),
            ic("Brand Designer", 8, None),
            ic("Events Coordinator", 5, None),
        ],
    },
    Department {
        name: "Support",
        code: "SUP",
        slug: "support",
        weight: 12,
        head_title: "VP Customer Support",
        director_title: "Director of Customer Support",
        senior_manager_title: "Senior Support Manager",
        manager_title: "Support Manager",
        ic_titles: &[
            ic("Support Agent", 45, Some("Support Agent")),
            ic("Senior Support Agent", 20, Some("Support Agent")),
            ic("Support Engineer", 20, Some("Support Engineer")),
            ic("Technical Account Manager", 10, Some("Support Engineer")),
            ic("Support Operations Analyst", 5, None),
        ],
    },
    Department {
        name: "Operations",
        code: "OPS",
        slug: "operations",
        weight: 10,
        head_title: "Chief Operating Officer",
        director_title: "Director of Operations",
        senior_manager_title: "Senior Operations Manager",
        manager_title: "Operations Manager",
        ic_titles: &[
            ic("Operations Analyst", 30, Some("Operations Analyst")),
            ic("Procurement Specialist", 20, Some("Procurement Specialist")),
            ic("Logistics Coordinator", 20, Some("Procurement Specialist")),
            ic("Facilities Coordinator", 15, None),
            ic("Business Analyst", 15, Some("Operations Analyst")),
        ],
    },
    Department {
        name: "Finance",
        code: "FIN",
        slug: "finance",
        weight: 6,
        head_title: "Chief Financial Officer",
        director_title: "Director of Finance",
        senior_manager_title: "Senior Finance Manager",
        manager_title: "Finance Manager",
        ic_titles: &[
            ic("Accountant", 25, Some("Accountant")),
            ic("Senior Accountant", 15, Some("Accountant")),
            ic(
                "Accounts Payable Specialist",
                15,
                Some("Accounts Payable Specialist"),
            ),
            ic("Accounts Receivable Specialist", 10, Some("Accountant")),
            ic("Financial Analyst", 20, Some("Financial Analyst")),
            ic("Payroll Specialist", 5, None),
            ic("Internal Auditor", 10, Some("Financial Analyst")),
        ],
    },
    Department {
        name: "HR",
        code: "HR",
        slug: "people",
        weight: 4,
        head_title: "Chief People Officer",
        director_title: "Director of People Operations",
        senior_manager_title: "Senior HR Manager",
        manager_title: "HR Manager",
        ic_titles: &[
            ic("HR Business Partner", 30, Some("HR Business Partner")),
            ic("Recruiter", 30, Some("Recruiter")),
            ic("Senior Recruiter", 10, Some("Recruiter")),
            ic("HR Generalist", 15, Some("HR Business Partner")),
            ic("Compensation Analyst", 8, Some("HR Business Partner")),
            ic("Learning & Development Specialist", 7, None),
        ],
    },
    Department {
        name: "Legal",
        code: "LGL",
        slug: "legal",
        weight: 2,
        head_title: "General Counsel",
        director_title: "Deputy General Counsel",
        senior_manager_title: "Associate General Counsel",
        manager_title: "Legal Manager",
        ic_titles: &[
            ic("Corporate Counsel", 35, Some("Legal Counsel")),
            ic("Paralegal", 30, Some("Legal Counsel")),
            ic("Contracts Manager", 20, Some("Legal Counsel")),
            ic("Privacy Counsel", 10, Some("Legal Counsel")),
            ic("Compliance Analyst", 5, None),
        ],
    },
    Department {
        name: "Executive",
        code: "EXE",
        slug: "exec",
        weight: 0,
        head_title: "Chief Executive Officer",
        director_title: "Chief of Staff",
        senior_manager_title: "Chief of Staff",
        manager_title: "Chief of Staff",
        ic_titles: &[ic("Executive Assistant", 1, None)],
    },
];

/// One generated identity. Indices into the name and location lists keep it small.
pub(super) struct Person {
    pub first: u16,
    pub last: u16,
    /// Unique login, e.g. `jane.doe` or `jane.doe7`.
    pub login: String,
    pub dept: usize,
    pub manager: Option<u32>,
    /// 0 for the CEO, 1 for department heads, 2 for their direct reports, ...
    pub depth: u8,
    pub reports: u32,
    /// Whether at least one direct report is a manager too.
    pub manages_managers: bool,
    pub title: &'static str,
    /// The job role the title implies, by name.
    pub job_role: Option<&'static str>,
    pub location: usize,
    pub active: bool,
    pub employee_type: &'static str,
    /// Days between the hire date and the reference instant.
    pub hire_days: u32,
    /// Days between the leaving date and the reference instant (inactive identities only).
    pub leave_days: u32,
    /// Which of the head's direct reports this person's branch hangs from (0: the head's own).
    pub branch: u16,
}

impl Person {
    /// "Jane Doe".
    pub fn display_name(&self) -> String {
        format!(
            "{} {}",
            FIRST_NAMES[self.first as usize], LAST_NAMES[self.last as usize]
        )
    }

    /// The first letter of the given name and the family name, e.g. ('J', "Doe").
    pub fn initial_and_last(&self) -> (char, &'static str) {
        let first = FIRST_NAMES[self.first as usize];
        (
            first.chars().next().unwrap_or('X'),
            LAST_NAMES[self.last as usize],
        )
    }

    /// Whether this person manages anyone.
    pub fn is_manager(&self) -> bool {
        self.reports > 0
    }
}

/// The whole organisation.
pub(super) struct Org {
    pub people: Vec<Person>,
    /// The head of each department, if the organisation is large enough to have one.
    pub heads: [Option<u32>; 12],
    /// Active members of each department, in index order.
    pub active_members: Vec<Vec<u32>>,
    /// Managers of each department (heads included), in index order.
    pub managers: Vec<Vec<u32>>,
}

/// The identity id of a person index: `E000001` for index 0.
pub(super) fn identity_id(index: u32) -> String {
    format!("E{:06}", index + 1)
}

impl Org {
    /// Builds an organisation of `n` people (`n >= 2`).
    pub fn generate(n: usize, rng: &mut ChaCha8Rng) -> Org {
        let sizes = department_sizes(n);
        let heads_count = sizes.iter().filter(|s| **s > 0).count();

        // Pass 1: the tree's shape.
        let mut manager: Vec<Option<u32>> = vec![None; n];
        let mut dept = vec![EXECUTIVE; n];
        let mut depth = vec![0u8; n];
        let mut branch = vec![0u16; n];
        let mut heads = [None; 12];
        heads[EXECUTIVE] = Some(0);
        for (d, head) in heads.iter_mut().enumerate().take(heads_count) {
            let g = 1 + d;
            manager[g] = Some(0);
            dept[g] = d;
            depth[g] = 1;
            *head = Some(g as u32);
        }
        let mut next = 1 + heads_count;
        let mut local: Vec<usize> = Vec::new();
        for (d, &size) in sizes.iter().enumerate().take(heads_count) {
            local.clear();
            local.push(1 + d);
            let mut placed = 1;
            let mut queue = 0;
            while placed < size {
                let k = draw_span(rng, size - placed);
                let parent = local[queue];
                for child in 0..k {
                    let g = next;
                    next += 1;
                    manager[g] = Some(parent as u32);
                    dept[g] = d;
                    depth[g] = depth[parent].saturating_add(1);
                    branch[g] = if queue == 0 {
                        (child + 1) as u16
                    } else {
                        branch[parent]
                    };
                    local.push(g);
                }
                placed += k;
                queue += 1;
            }
        }
        debug_assert_eq!(next, n);

        let mut reports = vec![0u32; n];
        for m in manager.iter().flatten() {
            reports[*m as usize] += 1;
        }
        let mut manages_managers = vec![false; n];
        for (g, m) in manager.iter().enumerate() {
            if let Some(m) = m {
                if reports[g] > 0 {
                    manages_managers[*m as usize] = true;
                }
            }
        }

        // Pass 2: who they are, in index order so that managers come before their reports.
        let location_weights = WeightedIndex::new(LOCATIONS.iter().map(|(_, w)| *w))
            .expect("location weights are positive");
        let title_weights: Vec<WeightedIndex<u32>> = DEPARTMENTS
            .iter()
            .map(|d| {
                WeightedIndex::new(d.ic_titles.iter().map(|t| t.weight))
                    .expect("title weights are positive")
            })
            .collect();
        let mut seen: HashMap<(u16, u16), u32> = HashMap::new();
        let mut people: Vec<Person> = Vec::with_capacity(n);
        for g in 0..n {
            let first = rng.gen_range(0..FIRST_NAMES.len()) as u16;
            let last = rng.gen_range(0..LAST_NAMES.len()) as u16;
            let count = seen.entry((first, last)).or_insert(0);
            *count += 1;
            let mut login = format!(
                "{}.{}",
                FIRST_NAMES[first as usize].to_ascii_lowercase(),
                LAST_NAMES[last as usize].to_ascii_lowercase()
            );
            if *count > 1 {
                login.push_str(&count.to_string());
            }

            let d = dept[g];
            let spec = &DEPARTMENTS[d];
            let is_head = depth[g] <= 1;
            let (title, job_role) = if is_head {
                (spec.head_title, None)
            } else if reports[g] > 0 {
                let title = if !manages_managers[g] {
                    spec.manager_title
                } else if depth[g] == 2 {
                    spec.director_title
                } else {
                    spec.senior_manager_title
                };
                (title, None)
            } else {
                let t = &spec.ic_titles[title_weights[d].sample(rng)];
                (t.title, t.job_role)
            };

            // Head office for the CEO and most heads; teams then cluster around their manager.
            let location = match manager[g] {
                None => HEAD_OFFICE,
                Some(0) if rng.gen_bool(0.7) => HEAD_OFFICE,
                Some(m) if m > 0 && rng.gen_bool(0.5) => people[m as usize].location,
                _ => location_weights.sample(rng),
            };

            let is_leaf = reports[g] == 0 && !is_head;
            let employee_type = if !is_leaf {
                "employee"
            } else {
                let r: f64 = rng.gen();
                if r < 0.07 {
                    "contractor"
                } else if r < 0.09 && matches!(d, ENGINEERING | PRODUCT | MARKETING) {
                    "intern"
                } else {
                    "employee"
                }
            };
            let hire_days = match (g, is_head, reports[g] > 0, employee_type) {
                (0, _, _, _) => rng.gen_range(4000..=6500),
                (_, true, _, _) => rng.gen_range(400..=4000),
                (_, _, true, _) => rng.gen_range(200..=3600),
                (_, _, _, "intern") => rng.gen_range(20..=150),
                _ => rng.gen_range(20..=3600),
            };
            let active = !(is_leaf && rng.gen_bool(0.035));
            let leave_days = if active {
                0
            } else {
                rng.gen_range(3..=(hire_days - 1).min(240))
            };

            people.push(Person {
                first,
                last,
                login,
                dept: d,
                manager: manager[g],
                depth: depth[g],
                reports: reports[g],
                manages_managers: manages_managers[g],
                title,
                job_role,
                location,
                active,
                employee_type,
                hire_days,
                leave_days,
                branch: branch[g],
            });
        }

        let mut active_members = vec![Vec::new(); DEPARTMENTS.len()];
        let mut managers = vec![Vec::new(); DEPARTMENTS.len()];
        for (g, p) in people.iter().enumerate() {
            if p.active {
                active_members[p.dept].push(g as u32);
            }
            if p.is_manager() {
                managers[p.dept].push(g as u32);
            }
        }
        Org {
            people,
            heads,
            active_members,
            managers,
        }
    }

    /// A senior person of a department to own something: one of the head's direct reports who
    /// manages (a director), else the head, else the CEO.
    pub fn senior_in(&self, dept: usize, rng: &mut ChaCha8Rng) -> u32 {
        let directors: Vec<u32> = self.managers[dept]
            .iter()
            .copied()
            .filter(|m| self.people[*m as usize].depth == 2)
            .collect();
        if directors.is_empty() {
            self.head_or_ceo(dept)
        } else {
            directors[rng.gen_range(0..directors.len())]
        }
    }

    /// The head of a department, or the CEO when the organisation is too small to have one.
    pub fn head_or_ceo(&self, dept: usize) -> u32 {
        self.heads[dept].unwrap_or(0)
    }

    /// Any active member of a department, else its head (or the CEO).
    pub fn member_of(&self, dept: usize, rng: &mut ChaCha8Rng) -> u32 {
        let members = &self.active_members[dept];
        if members.is_empty() {
            self.head_or_ceo(dept)
        } else {
            members[rng.gen_range(0..members.len())]
        }
    }
}

/// Splits `n - 1` people (everyone but the CEO) over the headed departments: one head each
/// first (in index order while people last), then the rest by weight, largest remainder first.
fn department_sizes(n: usize) -> [usize; HEADED] {
    let mut sizes = [0usize; HEADED];
    let rest = n.saturating_sub(1);
    if rest <= HEADED {
        for s in sizes.iter_mut().take(rest) {
            *s = 1;
        }
        return sizes;
    }
    let extra = rest - HEADED;
    let total: usize = DEPARTMENTS[..HEADED]
        .iter()
        .map(|d| d.weight as usize)
        .sum();
    let mut remainders: Vec<(usize, usize)> = Vec::with_capacity(HEADED);
    let mut given = 0;
    for (d, size) in sizes.iter_mut().enumerate() {
        let share = extra * DEPARTMENTS[d].weight as usize;
        *size = 1 + share / total;
        given += share / total;
        remainders.push((share % total, d));
    }
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, d) in remainders.into_iter().take(extra - given) {
        sizes[d] += 1;
    }
    sizes
}

/// How many direct reports the next manager gets when `remaining` people are still to place.
fn draw_span(rng: &mut ChaCha8Rng, remaining: usize) -> usize {
    if remaining <= MAX_SPAN {
        return remaining;
    }
    // Two dice give a hump around ten rather than a flat spread.
    let k = MIN_SPAN + rng.gen_range(0..=5) + rng.gen_range(0..=5);
    if remaining - k < MIN_SPAN {
        remaining - MIN_SPAN
    } else {
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn sizes_add_up_and_follow_weights() {
        for n in [2, 5, 12, 13, 100, 1000, 100_000] {
            let sizes = department_sizes(n);
            assert_eq!(sizes.iter().sum::<usize>(), n - 1, "n = {n}");
        }
        let sizes = department_sizes(100_001);
        assert!(sizes[ENGINEERING] > 27_000 && sizes[ENGINEERING] < 29_000);
        assert!(sizes[SECURITY] >= 1);
    }

    #[test]
    fn managers_come_before_their_reports() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let org = Org::generate(5000, &mut rng);
        for (g, p) in org.people.iter().enumerate() {
            if let Some(m) = p.manager {
                assert!((m as usize) < g);
            } else {
                assert_eq!(g, 0, "only the CEO lacks a manager");
            }
        }
    }
}
