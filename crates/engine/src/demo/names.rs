//! Embedded word lists: first names, last names and office locations.
//!
//! Policy: plain ASCII letters only, so that logins built from them (`jane.doe42`) need no
//! escaping on any source. The lists are part of the generator's output: any change to them
//! changes the bundle every seed gives, so change them knowingly.

/// Given names, mixed across regions so that a large organisation looks international.
#[rustfmt::skip]
pub(super) const FIRST_NAMES: &[&str] = &[
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony",
    "Margaret", "Mark", "Sandra", "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily",
    "Andrew", "Donna", "Joshua", "Michelle", "Kenneth", "Dorothy", "Kevin", "Carol", "Brian",
    "Amanda", "George", "Melissa", "Edward", "Deborah", "Ronald", "Stephanie", "Timothy",
    "Rebecca", "Jason", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia", "Jacob", "Kathleen",
    "Gary", "Amy", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Anna", "Stephen",
    "Brenda", "Larry", "Pamela", "Justin", "Emma", "Scott", "Nicole", "Brandon", "Helen",
    "Benjamin", "Samantha", "Samuel", "Katherine", "Gregory", "Christine", "Alexander", "Debra",
    "Frank", "Rachel", "Patrick", "Carolyn", "Raymond", "Janet", "Jack", "Catherine", "Dennis",
    "Maria", "Jerry", "Heather", "Tyler", "Diane", "Aaron", "Ruth", "Jose", "Julie", "Adam",
    "Olivia", "Nathan", "Joyce", "Henry", "Virginia", "Douglas", "Victoria", "Zachary", "Kelly",
    "Peter", "Lauren", "Kyle", "Christina", "Ethan", "Joan", "Walter", "Evelyn", "Noah",
    "Judith", "Jeremy", "Megan", "Christian", "Andrea", "Keith", "Cheryl", "Roger", "Hannah",
    "Terry", "Jacqueline", "Austin", "Martha", "Sean", "Gloria", "Gerald", "Teresa", "Carl",
    "Ann", "Harold", "Sara", "Dylan", "Madison", "Arthur", "Frances", "Lawrence", "Kathryn",
    "Jordan", "Janice", "Jesse", "Jean", "Bryan", "Abigail", "Billy", "Alice", "Bruce", "Julia",
    "Gabriel", "Judy", "Joe", "Sophia", "Logan", "Grace", "Alan", "Denise", "Juan", "Amber",
    "Wayne", "Doris", "Elijah", "Marilyn", "Randy", "Danielle", "Roy", "Beverly", "Vincent",
    "Isabella", "Ralph", "Theresa", "Eugene", "Diana", "Russell", "Natalie", "Bobby",
    "Brittany", "Mason", "Charlotte", "Philip", "Marie", "Louis", "Kayla", "Aarav", "Priya",
    "Rahul", "Ananya", "Vikram", "Deepika", "Arjun", "Kavya", "Wei", "Mei", "Jun", "Li",
    "Hiroshi", "Yuki", "Kenji", "Sakura", "Min", "Seo", "Jin", "Hana", "Ahmed", "Fatima",
    "Omar", "Aisha", "Yusuf", "Layla", "Mohammed", "Zara", "Carlos", "Lucia", "Diego", "Sofia",
    "Mateo", "Valentina", "Luis", "Camila", "Javier", "Elena", "Pablo", "Ines", "Lukas", "Lena",
    "Felix", "Mia", "Jonas", "Lea", "Pierre", "Camille", "Antoine", "Chloe", "Hugo", "Manon",
    "Sven", "Ingrid", "Lars", "Astrid", "Nils", "Freya", "Kwame", "Amara", "Chinedu", "Ngozi",
    "Tariq", "Nadia", "Mikhail", "Olga", "Ivan", "Katya", "Tomasz", "Zofia", "Siobhan",
    "Ciaran", "Aoife", "Niamh", "Connor", "Declan",
];

/// Family names, mixed across regions.
#[rustfmt::skip]
pub(super) const LAST_NAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster",
    "Jimenez", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler",
    "Henderson", "Barnes", "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan",
    "Patterson", "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno",
    "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina",
    "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison",
    "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry",
    "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson",
    "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon",
    "Munoz", "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd",
    "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza",
    "Daniels", "Ferguson", "Nichols", "Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne",
    "Grant", "Dunn", "Kumar", "Sharma", "Singh", "Gupta", "Reddy", "Iyer", "Nair", "Mehta",
    "Wang", "Zhang", "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Tanaka", "Suzuki",
    "Watanabe", "Ito", "Yamamoto", "Nakamura", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon",
    "Khan", "Ali", "Hassan", "Hussein", "Rahman", "Haddad", "Mansour", "Okafor", "Adeyemi",
    "Mensah", "Okoye", "Mwangi", "Muller", "Schneider", "Fischer", "Weber", "Becker",
    "Hoffmann", "Schulz", "Dubois", "Laurent", "Lefebvre", "Moreau", "Bernard", "Rossi",
    "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Jansen", "DeVries", "Bakker",
    "Visser", "Andersson", "Johansson", "Karlsson", "Nilsson", "Larsen", "Hansen", "Nielsen",
    "Kowalski", "Nowak", "Wisniewski", "Ivanov", "Petrov", "Smirnov", "Byrne", "Walsh",
    "OConnor", "Doyle", "Kavanagh", "Brennan", "Novak", "Horvat", "Silveira", "Santos",
    "Oliveira", "Costa",
];

/// Offices, with the weight of each in the workforce. `Remote` counts as a location.
pub(super) const LOCATIONS: &[(&str, u32)] = &[
    ("New York", 14),
    ("San Francisco", 12),
    ("Austin", 10),
    ("Chicago", 6),
    ("Toronto", 7),
    ("London", 12),
    ("Dublin", 6),
    ("Berlin", 7),
    ("Amsterdam", 4),
    ("Bangalore", 10),
    ("Singapore", 6),
    ("Sydney", 4),
    ("Remote", 12),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_plain_letters_and_distinct() {
        for list in [FIRST_NAMES, LAST_NAMES] {
            let distinct: HashSet<&str> = list.iter().copied().collect();
            assert_eq!(distinct.len(), list.len(), "a name appears twice");
            for name in list {
                assert!(name.chars().all(|c| c.is_ascii_alphabetic()), "{name}");
            }
        }
        assert!(LOCATIONS.iter().all(|(_, weight)| *weight > 0));
    }
}
