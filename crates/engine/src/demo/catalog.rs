//! The access catalogue: sources, their entitlements and permissions, access profiles and
//! roles, described as static tables and resolved against the generated organisation.
//!
//! Policy: the tables name things by source key and entitlement name; [`Catalog::build`]
//! turns them into records with ids and owners and panics on a name that does not resolve,
//! which a unit test catches. Every id is a short, stable string (`SRC-AD`, `ENT-00042`,
//! `AP-007`, `ROLE-012`) that depends only on the tables and the organisation's size.

use std::collections::HashMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::names::LOCATIONS;
use super::org::*;

/// How an entitlement's `value` is spelt on its source.
#[derive(Clone, Copy)]
pub(super) enum ValueStyle {
    /// The name itself.
    Name,
    /// An Active Directory group DN.
    AdGroupDn,
    /// An AWS IAM Identity Center permission-set ARN.
    AwsPermissionSet,
}

/// How an account's native identity is spelt on its source.
#[derive(Clone, Copy)]
pub(super) enum NativeStyle {
    /// `CN=jane.doe,OU=Engineering,OU=Staff,DC=corp,DC=example,DC=com`.
    AdDn,
    /// `jane.doe@example.com`.
    Email,
    /// `jane.doe`.
    Login,
    /// `JDOE000042`: SAP's twelve upper-case characters.
    SapUser,
    /// `JANE_DOE`.
    OracleUser,
    /// The employee id, as HR systems key people.
    EmployeeId,
    /// `jane-doe`.
    GithubLogin,
}

/// Who may ask for an item by request: the source's users unless narrowed.
const INHERIT: DeptMask = u16::MAX;

/// An entitlement in the tables.
pub(super) struct EntSpec {
    pub name: &'static str,
    pub privileged: bool,
    pub description: &'static str,
    pub permissions: &'static [(&'static str, &'static str)],
    pub audience: DeptMask,
}

/// A plain entitlement.
const fn ent(name: &'static str) -> EntSpec {
    EntSpec {
        name,
        privileged: false,
        description: "",
        permissions: &[],
        audience: INHERIT,
    }
}

/// A privileged entitlement (an admin group or role).
const fn admin(name: &'static str) -> EntSpec {
    EntSpec {
        privileged: true,
        audience: 0,
        ..ent(name)
    }
}

impl EntSpec {
    const fn about(self, description: &'static str) -> Self {
        EntSpec {
            description,
            ..self
        }
    }

    const fn grants(self, permissions: &'static [(&'static str, &'static str)]) -> Self {
        EntSpec {
            permissions,
            ..self
        }
    }

    /// Narrows who may request it (0: nobody; it comes with a role or not at all).
    const fn only(self, audience: DeptMask) -> Self {
        EntSpec { audience, ..self }
    }
}

/// A source in the tables.
pub(super) struct SourceSpec {
    /// Short key; the source id is `SRC-<key>`.
    pub key: &'static str,
    pub name: &'static str,
    pub source_type: &'static str,
    pub description: &'static str,
    pub owner_dept: usize,
    /// Departments whose people work with it (and may request its access).
    pub users: DeptMask,
    /// Whether everybody has an account on it, access or not.
    pub core: bool,
    pub attribute: &'static str,
    pub value_style: ValueStyle,
    pub native_style: NativeStyle,
    pub entitlements: &'static [EntSpec],
}

const TECH: DeptMask = bit(SECURITY) | bit(IT) | bit(ENGINEERING);

/// Every source. Keep at least twenty; the order fixes the source and entitlement ids.
pub(super) const SOURCES: &[SourceSpec] = &[
    SourceSpec {
        key: "AD",
        name: "Active Directory",
        source_type: "Active Directory",
        description: "corp.example.com domain: sign-in, file shares, VPN and Wi-Fi",
        owner_dept: IT,
        users: ALL,
        core: true,
        attribute: "memberOf",
        value_style: ValueStyle::AdGroupDn,
        native_style: NativeStyle::AdDn,
        entitlements: &[
            ent("All Staff")
                .about("Every employee and contractor")
                .only(0),
            ent("VPN Users").grants(&[("vpn.corp.example.com", "connect")]),
            ent("Wi-Fi Corporate")
                .grants(&[("ssid CORP-SECURE", "connect")])
                .only(0),
            ent("Remote Desktop Users").grants(&[("rds.corp.example.com", "logon")]),
            ent("Printer Users"),
            ent("Contractors").only(0),
            ent("Tableau Viewers"),
            ent("SQL Reporting Users").grants(&[("sqlrpt01.corp.example.com", "read")]),
            ent("Jenkins Users").only(TECH),
            ent("FS-Company-Public").grants(&[("\\\\files.corp.example.com\\public", "read")]),
            ent("Helpdesk Operators")
                .about("Resets passwords and unlocks accounts in the Staff OU")
                .grants(&[(
                    "OU=Staff,DC=corp,DC=example,DC=com",
                    "reset-password,unlock",
                )])
                .only(bit(IT)),
            admin("Workstation Local Admins")
                .grants(&[("OU=Workstations,DC=corp,DC=example,DC=com", "local-admin")]),
            admin("Server Operators").grants(&[(
                "OU=Servers,DC=corp,DC=example,DC=com",
                "logon,shutdown,manage-services",
            )]),
            admin("Backup Operators")
                .grants(&[("\\\\backup01.corp.example.com\\vault", "read,write")]),
            admin("Account Operators")
                .grants(&[("OU=Staff,DC=corp,DC=example,DC=com", "create,delete,modify")]),
            admin("Domain Admins")
                .about("Full control of the corp.example.com domain")
                .grants(&[("DC=corp,DC=example,DC=com", "full-control")]),
            admin("Enterprise Admins").about("Full control of every domain in the forest"),
        ],
    },
    SourceSpec {
        key: "AZUREAD",
        name: "Azure AD",
        source_type: "Azure Active Directory",
        description: "Microsoft 365 tenant: licences and Entra ID directory roles",
        owner_dept: IT,
        users: ALL,
        core: false,
        attribute: "groups",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("M365 E3 License"),
            ent("M365 E5 License"),
            ent("Power BI Pro").grants(&[("powerbi workspace Company Metrics", "view")]),
            ent("Visio Plan 2"),
            ent("Project Plan 3"),
            ent("Teams Phone"),
            ent("Security Reader").only(bit(SECURITY)),
            admin("Global Administrator").about("Every permission in the Microsoft 365 tenant"),
            admin("Privileged Role Administrator"),
        ],
    },
    SourceSpec {
        key: "OKTA",
        name: "Okta",
        source_type: "Okta",
        description: "Single sign-on and multi-factor authentication",
        owner_dept: SECURITY,
        users: ALL,
        core: true,
        attribute: "groups",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Everyone").only(0),
            ent("Okta Standard Apps").only(0),
            ent("MFA Enrolled").only(0),
            ent("Zoom Users"),
            ent("Box Users"),
            ent("DocuSign Users"),
            ent("Okta Read Only Admins").only(bit(SECURITY) | bit(IT)),
            admin("Okta Super Admins").about("Full control of the Okta org"),
        ],
    },
    SourceSpec {
        key: "GOOGLE",
        name: "Google Workspace",
        source_type: "Google Workspace",
        description: "Mail, calendar and shared drives",
        owner_dept: IT,
        users: ALL,
        core: true,
        attribute: "groups",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("all-staff@example.com").only(0),
            ent("announcements@example.com").only(0),
            ent("Shared Drive - Company")
                .grants(&[("drive Company", "contributor")])
                .only(0),
            ent("Shared Drive - Leadership")
                .grants(&[("drive Leadership", "content-manager")])
                .only(0),
            ent("Shared Drive - Board")
                .grants(&[("drive Board", "viewer")])
                .only(0),
            ent("Shared Drive - Marketing Assets")
                .grants(&[("drive Marketing Assets", "contributor")])
                .only(bit(MARKETING) | bit(SALES)),
            ent("Shared Drive - Sales Collateral")
                .grants(&[("drive Sales Collateral", "viewer")])
                .only(bit(SALES)),
            ent("Meeting Room Calendars"),
            admin("Super Admin").about("Full control of the Google Workspace domain"),
        ],
    },
    SourceSpec {
        key: "WORKDAY",
        name: "Workday",
        source_type: "Workday",
        description: "Human capital management: the HR source of record",
        owner_dept: HR,
        users: ALL,
        core: true,
        attribute: "securityGroups",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::EmployeeId,
        entitlements: &[
            ent("Employee Self Service").only(0),
            ent("Manager Self Service").only(0),
            ent("Time Tracking Approver").only(0),
            ent("HR Partner")
                .grants(&[("worker data: all organizations", "view,modify")])
                .only(bit(HR)),
            ent("Recruiter").only(bit(HR)),
            ent("Compensation Partner")
                .grants(&[("compensation data", "view,modify")])
                .only(bit(HR)),
            ent("Benefits Partner").only(bit(HR)),
            ent("Finance Analyst").only(bit(FINANCE)),
            admin("Payroll Administrator").grants(&[("payroll", "view,modify,run")]),
            admin("Security Administrator")
                .about("Configures Workday security groups and policies"),
            admin("Integration System User"),
        ],
    },
    SourceSpec {
        key: "SLACK",
        name: "Slack",
        source_type: "Slack",
        description: "Company chat",
        owner_dept: IT,
        users: ALL,
        core: true,
        attribute: "groups",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Member").only(0),
            ent("@eng-oncall").only(bit(ENGINEERING) | bit(IT)),
            ent("@sales-team").only(bit(SALES)),
            ent("@security-incident-response").only(bit(SECURITY) | bit(IT)),
            ent("@leadership").only(0),
            ent("@support-escalations").only(bit(SUPPORT)),
            ent("@finance-team").only(bit(FINANCE)),
            ent("@marketing-team").only(bit(MARKETING)),
            ent("Workflow Builders"),
            admin("Workspace Admin"),
        ],
    },
    SourceSpec {
        key: "SERVICENOW",
        name: "ServiceNow",
        source_type: "ServiceNow",
        description: "IT service management: incidents, requests and changes",
        owner_dept: IT,
        users: ALL,
        core: false,
        attribute: "roles",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Login,
        entitlements: &[
            ent("snc_internal"),
            ent("itil").only(bit(IT) | bit(SECURITY) | bit(SUPPORT)),
            ent("approver_user"),
            ent("asset").only(bit(IT)),
            ent("knowledge"),
            ent("catalog_admin").only(bit(IT)),
            ent("Service Desk").only(bit(IT)),
            ent("Network Operations").only(bit(IT)),
            ent("Change Advisory Board").only(TECH),
            admin("admin").about("Full control of the ServiceNow instance"),
            admin("security_admin"),
        ],
    },
    SourceSpec {
        key: "JIRA",
        name: "Jira",
        source_type: "Atlassian Cloud",
        description: "Issue and project tracking",
        owner_dept: ENGINEERING,
        users: TECH | bit(PRODUCT) | bit(SUPPORT) | bit(OPERATIONS) | bit(MARKETING),
        core: false,
        attribute: "groups",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("jira-software-users"),
            ent("jira-servicemanagement-users"),
            ent("jira-product-discovery-users"),
            ent("PAY-developers").grants(&[("project PAY", "browse,create,edit,transition")]),
            ent("PLAT-developers").grants(&[("project PLAT", "browse,create,edit,transition")]),
            ent("WEB-developers").grants(&[("project WEB", "browse,create,edit,transition")]),
            ent("MOB-developers").grants(&[("project MOB", "browse,create,edit,transition")]),
            ent("OPS-users")
                .grants(&[("project OPS", "browse,create,edit")])
                .only(bit(OPERATIONS)),
            ent("MKT-users")
                .grants(&[("project MKT", "browse,create,edit")])
                .only(bit(MARKETING)),
            ent("DATA-developers").grants(&[("project DATA", "browse,create,edit,transition")]),
            ent("SEC-incident-responders")
                .grants(&[("project SEC", "browse,create,edit,transition,delete")])
                .only(bit(SECURITY)),
            admin("jira-administrators").about("Administers every Jira project and scheme"),
        ],
    },
    SourceSpec {
        key: "CONFLUENCE",
        name: "Confluence",
        source_type: "Atlassian Cloud",
        description: "Team wiki",
        owner_dept: ENGINEERING,
        users: ALL,
        core: false,
        attribute: "groups",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("confluence-users"),
            ent("space-ENG-editors")
                .grants(&[("space ENG", "view,edit")])
                .only(bit(ENGINEERING) | bit(PRODUCT)),
            ent("space-PRODUCT-editors")
                .grants(&[("space PRODUCT", "view,edit")])
                .only(bit(ENGINEERING) | bit(PRODUCT)),
            ent("space-HR-editors")
                .grants(&[("space HR", "view,edit")])
                .only(bit(HR)),
            ent("space-FIN-editors")
                .grants(&[("space FIN", "view,edit")])
                .only(bit(FINANCE)),
            ent("space-LEGAL-editors")
                .grants(&[("space LEGAL", "view,edit")])
                .only(bit(LEGAL)),
            ent("space-SALES-editors")
                .grants(&[("space SALES", "view,edit")])
                .only(bit(SALES) | bit(MARKETING)),
            ent("space-OPS-editors")
                .grants(&[("space OPS", "view,edit")])
                .only(bit(OPERATIONS)),
            ent("space-SUPPORT-editors")
                .grants(&[("space SUPPORT", "view,edit")])
                .only(bit(SUPPORT)),
            ent("space-IT-editors")
                .grants(&[("space IT", "view,edit")])
                .only(bit(IT)),
            ent("space-SEC-restricted")
                .grants(&[("space SEC", "view,edit")])
                .only(bit(SECURITY)),
            admin("confluence-administrators"),
        ],
    },
    SourceSpec {
        key: "GITHUB",
        name: "GitHub",
        source_type: "GitHub",
        description: "Source code hosting for the example organisation",
        owner_dept: ENGINEERING,
        users: TECH | bit(PRODUCT),
        core: false,
        attribute: "teams",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::GithubLogin,
        entitlements: &[
            ent("engineering").grants(&[("org example", "read")]),
            ent("backend").grants(&[
                ("repo example/payments-service", "push"),
                ("repo example/orders-api", "push"),
            ]),
            ent("frontend").grants(&[("repo example/web-app", "push")]),
            ent("mobile").grants(&[("repo example/mobile-app", "push")]),
            ent("platform").grants(&[
                ("repo example/infrastructure", "push"),
                ("repo example/terraform-modules", "push"),
            ]),
            ent("data").grants(&[("repo example/data-pipelines", "push")]),
            ent("api").grants(&[("repo example/public-api", "push")]),
            ent("design-system").grants(&[("repo example/design-system", "push")]),
            ent("security")
                .grants(&[("repo example/security-tooling", "push")])
                .only(bit(SECURITY)),
            ent("qa").grants(&[("repo example/e2e-tests", "push")]),
            ent("release-managers").grants(&[
                ("repo example/payments-service", "maintain"),
                ("repo example/web-app", "maintain"),
            ]),
            admin("Organization Owners").grants(&[("org example", "admin")]),
            admin("infrastructure-admins").grants(&[("repo example/infrastructure", "admin")]),
        ],
    },
    SourceSpec {
        key: "AWS",
        name: "AWS",
        source_type: "AWS IAM Identity Center",
        description: "Amazon Web Services accounts through IAM Identity Center permission sets",
        owner_dept: ENGINEERING,
        users: TECH | bit(FINANCE) | bit(OPERATIONS) | bit(PRODUCT),
        core: false,
        attribute: "permissionSets",
        value_style: ValueStyle::AwsPermissionSet,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Dev-Developer")
                .grants(&[
                    ("aws account 111122223333 (dev)", "read,write"),
                    ("s3://example-dev-artifacts", "read,write"),
                ])
                .only(TECH),
            ent("Dev-ReadOnly").grants(&[("aws account 111122223333 (dev)", "read")]),
            ent("Staging-Developer")
                .grants(&[
                    ("aws account 222233334444 (staging)", "read,write"),
                    ("s3://example-staging-artifacts", "read,write"),
                ])
                .only(TECH),
            ent("Staging-ReadOnly").grants(&[("aws account 222233334444 (staging)", "read")]),
            ent("Prod-ReadOnly")
                .grants(&[("aws account 444455556666 (prod)", "read")])
                .only(TECH),
            ent("Data-Lake-Analyst").grants(&[("s3://example-data-lake", "read")]),
            ent("Finance-Reports")
                .grants(&[("s3://finance-reports", "read,write")])
                .only(bit(FINANCE)),
            ent("Billing-ReadOnly")
                .grants(&[("aws billing console", "read")])
                .only(bit(FINANCE) | bit(IT)),
            ent("Security-Audit")
                .grants(&[
                    ("aws account 777788889999 (security)", "read"),
                    ("s3://example-cloudtrail-logs", "read"),
                ])
                .only(bit(SECURITY)),
            ent("Log-Archive-ReadOnly")
                .grants(&[("s3://example-log-archive", "read")])
                .only(TECH),
            admin("Prod-PowerUser").grants(&[("aws account 444455556666 (prod)", "read,write")]),
            admin("Prod-Administrator").grants(&[("aws account 444455556666 (prod)", "admin")]),
            admin("Organization-Administrator").grants(&[("aws organization o-example", "admin")]),
        ],
    },
    SourceSpec {
        key: "KUBERNETES",
        name: "Kubernetes",
        source_type: "Kubernetes",
        description: "Role bindings of the production clusters",
        owner_dept: ENGINEERING,
        users: TECH,
        core: false,
        attribute: "roles",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("view").grants(&[
                ("cluster prod-eu-1", "get,list,watch"),
                ("cluster prod-us-1", "get,list,watch"),
            ]),
            ent("edit:payments").grants(&[(
                "namespace payments",
                "get,list,watch,create,update,patch,delete",
            )]),
            ent("edit:orders").grants(&[(
                "namespace orders",
                "get,list,watch,create,update,patch,delete",
            )]),
            ent("edit:web")
                .grants(&[("namespace web", "get,list,watch,create,update,patch,delete")]),
            ent("edit:data").grants(&[(
                "namespace data",
                "get,list,watch,create,update,patch,delete",
            )]),
            ent("admin:monitoring").grants(&[("namespace monitoring", "*")]),
            ent("view:kube-system").grants(&[("namespace kube-system", "get,list,watch")]),
            admin("cluster-admin")
                .grants(&[("cluster prod-eu-1", "*"), ("cluster prod-us-1", "*")]),
        ],
    },
    SourceSpec {
        key: "DATADOG",
        name: "Datadog",
        source_type: "Datadog",
        description: "Monitoring, dashboards and logs",
        owner_dept: ENGINEERING,
        users: TECH | bit(SUPPORT) | bit(PRODUCT),
        core: false,
        attribute: "roles",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Datadog Read Only Role"),
            ent("Datadog Standard Role"),
            ent("Log Reader - Production").grants(&[("logs index production", "read")]),
            ent("Synthetics Editor"),
            ent("APM Viewer"),
            ent("Billing Viewer").only(bit(IT)),
            admin("Datadog Admin Role"),
        ],
    },
    SourceSpec {
        key: "PAGERDUTY",
        name: "PagerDuty",
        source_type: "PagerDuty",
        description: "On-call schedules and incident response",
        owner_dept: ENGINEERING,
        users: TECH | bit(SUPPORT),
        core: false,
        attribute: "role",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Responder"),
            ent("Observer"),
            ent("Manager").only(0),
            ent("Platform On-Call").grants(&[("schedule Platform Primary", "on-call")]),
            ent("Payments On-Call").grants(&[("schedule Payments Primary", "on-call")]),
            ent("Security On-Call")
                .grants(&[("schedule Security Primary", "on-call")])
                .only(bit(SECURITY)),
            ent("Support Escalations").only(bit(SUPPORT)),
            admin("Global Admin"),
        ],
    },
    SourceSpec {
        key: "SALESFORCE",
        name: "Salesforce",
        source_type: "Salesforce",
        description: "CRM: accounts, opportunities and cases",
        owner_dept: SALES,
        users: bit(SALES) | bit(MARKETING) | bit(SUPPORT) | bit(FINANCE) | bit(LEGAL),
        core: false,
        attribute: "profile",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Standard User"),
            ent("Read Only"),
            ent("Sales User")
                .grants(&[
                    ("object Opportunity", "read,create,edit"),
                    ("object Account", "read,edit"),
                ])
                .only(bit(SALES)),
            ent("Sales Manager")
                .grants(&[
                    ("object Opportunity", "read,create,edit,delete"),
                    ("report Pipeline", "read"),
                ])
                .only(bit(SALES)),
            ent("CPQ User")
                .grants(&[("object Quote", "read,create,edit")])
                .only(bit(SALES)),
            ent("Marketing User")
                .grants(&[("object Campaign", "read,create,edit")])
                .only(bit(MARKETING)),
            ent("Service Cloud Agent")
                .grants(&[("object Case", "read,create,edit")])
                .only(bit(SUPPORT)),
            ent("Contract Manager")
                .grants(&[("object Contract", "read,create,edit")])
                .only(bit(SALES) | bit(LEGAL)),
            admin("System Administrator")
                .grants(&[("org example.my.salesforce.com", "modify-all-data")]),
        ],
    },
    SourceSpec {
        key: "SAP",
        name: "SAP ERP",
        source_type: "SAP",
        description: "ERP: finance, procurement and logistics",
        owner_dept: FINANCE,
        users: bit(FINANCE) | bit(OPERATIONS) | bit(HR),
        core: false,
        attribute: "roles",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::SapUser,
        entitlements: &[
            ent("SAP_FI_AP_CLERK")
                .grants(&[("company code 1000", "post-vendor-invoices")])
                .only(bit(FINANCE)),
            ent("SAP_FI_AR_CLERK")
                .grants(&[("company code 1000", "post-customer-payments")])
                .only(bit(FINANCE)),
            ent("SAP_FI_GL_ACCOUNTANT")
                .grants(&[("company code 1000", "post-journal-entries")])
                .only(bit(FINANCE)),
            ent("SAP_FI_DISPLAY").grants(&[("company code 1000", "display")]),
            ent("SAP_CO_CONTROLLER")
                .grants(&[("controlling area 1000", "plan,settle")])
                .only(bit(FINANCE)),
            ent("SAP_MM_BUYER")
                .grants(&[("purchasing org 1000", "create-purchase-orders")])
                .only(bit(OPERATIONS)),
            ent("SAP_MM_WAREHOUSE")
                .grants(&[("plant 1000", "goods-movements")])
                .only(bit(OPERATIONS)),
            ent("SAP_SD_ORDER_ENTRY").grants(&[("sales org 1000", "create-sales-orders")]),
            ent("SAP_HR_DISPLAY").only(bit(HR)),
            admin("SAP_BASIS_ADMIN").about("System administration: transports, users, profiles"),
            admin("SAP_ALL").about("Every authorisation in the system"),
        ],
    },
    SourceSpec {
        key: "ORACLE",
        name: "Oracle DB",
        source_type: "Oracle Database",
        description: "Finance and order databases (FINPROD, ORDPROD)",
        owner_dept: IT,
        users: TECH | bit(FINANCE) | bit(OPERATIONS),
        core: false,
        attribute: "grantedRoles",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::OracleUser,
        entitlements: &[
            ent("CONNECT"),
            ent("RESOURCE").only(TECH),
            ent("FIN_READ")
                .grants(&[("schema FINPROD.GL", "select")])
                .only(bit(FINANCE)),
            ent("FIN_WRITE")
                .grants(&[("schema FINPROD.GL", "select,insert,update")])
                .only(bit(FINANCE)),
            ent("HR_READ")
                .grants(&[("schema FINPROD.HR", "select")])
                .only(0),
            ent("ORDERS_READ").grants(&[("schema ORDPROD.ORDERS", "select")]),
            ent("ORDERS_WRITE")
                .grants(&[("schema ORDPROD.ORDERS", "select,insert,update,delete")])
                .only(bit(ENGINEERING)),
            ent("SELECT_CATALOG_ROLE").only(bit(IT)),
            admin("DBA").grants(&[
                ("database FINPROD", "all privileges"),
                ("database ORDPROD", "all privileges"),
            ]),
            admin("SYSDBA"),
        ],
    },
    SourceSpec {
        key: "SNOWFLAKE",
        name: "Snowflake",
        source_type: "Snowflake",
        description: "Data warehouse",
        owner_dept: ENGINEERING,
        users: bit(ENGINEERING)
            | bit(PRODUCT)
            | bit(FINANCE)
            | bit(MARKETING)
            | bit(SALES)
            | bit(OPERATIONS),
        core: false,
        attribute: "roles",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Login,
        entitlements: &[
            ent("PUBLIC"),
            ent("ANALYST").grants(&[("database ANALYTICS", "usage,select")]),
            ent("DATA_ENGINEER")
                .grants(&[
                    ("database RAW", "usage,select,insert,create table"),
                    ("database ANALYTICS", "usage,select,insert"),
                ])
                .only(bit(ENGINEERING)),
            ent("FINANCE_READER")
                .grants(&[("database FINANCE", "usage,select")])
                .only(bit(FINANCE)),
            ent("MARKETING_ANALYST")
                .grants(&[("database MARKETING", "usage,select")])
                .only(bit(MARKETING)),
            ent("SALES_OPS_READER")
                .grants(&[("database SALES", "usage,select")])
                .only(bit(SALES)),
            ent("PRODUCT_ANALYST")
                .grants(&[("database PRODUCT_EVENTS", "usage,select")])
                .only(bit(PRODUCT)),
            ent("OPS_READER")
                .grants(&[("database OPERATIONS", "usage,select")])
                .only(bit(OPERATIONS)),
            admin("PII_READER").grants(&[("schema ANALYTICS.PII", "select")]),
            admin("SYSADMIN"),
            admin("ACCOUNTADMIN").about("Top-level role of the Snowflake account"),
        ],
    },
    SourceSpec {
        key: "NETSUITE",
        name: "NetSuite",
        source_type: "NetSuite",
        description: "Accounting for the subsidiaries",
        owner_dept: FINANCE,
        users: bit(FINANCE),
        core: false,
        attribute: "role",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Accountant").grants(&[("subsidiary Example EMEA", "journal-entries")]),
            ent("A/P Clerk").grants(&[("subsidiary Example EMEA", "vendor-bills")]),
            ent("A/R Clerk").grants(&[("subsidiary Example EMEA", "customer-payments")]),
            ent("Bookkeeper"),
            ent("Controller").grants(&[("subsidiary Example EMEA", "period-close")]),
            ent("Auditor").grants(&[("subsidiary Example EMEA", "view")]),
            ent("Employee Center"),
            admin("Administrator"),
        ],
    },
    SourceSpec {
        key: "ZENDESK",
        name: "Zendesk",
        source_type: "Zendesk",
        description: "Customer support tickets",
        owner_dept: SUPPORT,
        users: bit(SUPPORT) | bit(SALES) | bit(PRODUCT),
        core: false,
        attribute: "role",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Light Agent"),
            ent("Agent").only(bit(SUPPORT)),
            ent("Team Lead").only(0),
            ent("Tier 1 Support").only(bit(SUPPORT)),
            ent("Tier 2 Support").only(bit(SUPPORT)),
            ent("Escalations").only(bit(SUPPORT)),
            admin("Admin"),
        ],
    },
    SourceSpec {
        key: "EXPENSIFY",
        name: "Expensify",
        source_type: "Expensify",
        description: "Expense reports and corporate cards",
        owner_dept: FINANCE,
        users: ALL,
        core: false,
        attribute: "role",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Employee"),
            ent("Corporate Card Holder"),
            ent("Approver").only(0),
            ent("Auditor").only(bit(FINANCE)),
            ent("Policy Admin").only(0),
        ],
    },
    SourceSpec {
        key: "GREENHOUSE",
        name: "Greenhouse",
        source_type: "Greenhouse",
        description: "Recruiting and interviews",
        owner_dept: HR,
        users: bit(HR),
        core: false,
        attribute: "permissionLevel",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Basic"),
            ent("Interviewer"),
            ent("Hiring Manager"),
            ent("Recruiter"),
            ent("Coordinator"),
            ent("Job Admin"),
            ent("Site Admin").only(0),
        ],
    },
    SourceSpec {
        key: "IRONCLAD",
        name: "Ironclad",
        source_type: "Ironclad",
        description: "Contract lifecycle management",
        owner_dept: LEGAL,
        users: bit(LEGAL) | bit(SALES) | bit(FINANCE),
        core: false,
        attribute: "role",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Viewer"),
            ent("Contract Requester"),
            ent("Legal Reviewer").only(bit(LEGAL)),
            ent("Workflow Designer").only(bit(LEGAL)),
            admin("Admin"),
        ],
    },
    SourceSpec {
        key: "CROWDSTRIKE",
        name: "CrowdStrike Falcon",
        source_type: "CrowdStrike",
        description: "Endpoint detection and response",
        owner_dept: SECURITY,
        users: bit(SECURITY) | bit(IT),
        core: false,
        attribute: "roles",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Falcon Analyst"),
            ent("Falcon Investigator"),
            ent("Endpoint Manager"),
            ent("Prevention Hashes Manager"),
            admin("Real Time Responder - Admin").about("Runs commands on any endpoint"),
            admin("Falcon Administrator"),
        ],
    },
    SourceSpec {
        key: "HUBSPOT",
        name: "HubSpot",
        source_type: "HubSpot",
        description: "Marketing automation",
        owner_dept: MARKETING,
        users: bit(MARKETING) | bit(SALES),
        core: false,
        attribute: "permissionSets",
        value_style: ValueStyle::Name,
        native_style: NativeStyle::Email,
        entitlements: &[
            ent("Marketing Contributor").only(bit(MARKETING)),
            ent("Marketing Publisher").only(bit(MARKETING)),
            ent("Content Editor").only(bit(MARKETING)),
            ent("Sales Hub Seat"),
            ent("Reports Viewer"),
            admin("Super Admin"),
        ],
    },
];

/// An access profile in the tables: entitlements of one source.
pub(super) struct ApSpec {
    pub source: &'static str,
    pub name: &'static str,
    pub entitlements: &'static [&'static str],
}

const fn ap(
    source: &'static str,
    name: &'static str,
    entitlements: &'static [&'static str],
) -> ApSpec {
    ApSpec {
        source,
        name,
        entitlements,
    }
}

/// Every access profile besides the generated per-department file shares.
pub(super) const ACCESS_PROFILES: &[ApSpec] = &[
    ap(
        "AD",
        "AD Corporate Baseline",
        &["All Staff", "VPN Users", "Wi-Fi Corporate"],
    ),
    ap(
        "AD",
        "AD Remote Access",
        &["VPN Users", "Remote Desktop Users"],
    ),
    ap(
        "AD",
        "AD Helpdesk",
        &["Helpdesk Operators", "Remote Desktop Users"],
    ),
    ap(
        "AD",
        "AD Reporting",
        &["SQL Reporting Users", "Tableau Viewers"],
    ),
    ap(
        "AD",
        "AD Server Administration",
        &["Server Operators", "Backup Operators"],
    ),
    ap(
        "AD",
        "AD Domain Administration",
        &["Domain Admins", "Enterprise Admins"],
    ),
    ap("AZUREAD", "Microsoft 365 E3", &["M365 E3 License"]),
    ap(
        "AZUREAD",
        "Microsoft 365 E5",
        &["M365 E5 License", "Power BI Pro"],
    ),
    ap(
        "AZUREAD",
        "Entra ID Administration",
        &["Global Administrator", "Privileged Role Administrator"],
    ),
    ap(
        "OKTA",
        "Okta Standard Apps",
        &["Everyone", "Okta Standard Apps", "MFA Enrolled"],
    ),
    ap(
        "OKTA",
        "Okta Collaboration Apps",
        &["Zoom Users", "Box Users", "DocuSign Users"],
    ),
    ap(
        "OKTA",
        "Okta Administration",
        &["Okta Super Admins", "Okta Read Only Admins"],
    ),
    ap(
        "GOOGLE",
        "Google Workspace Standard",
        &[
            "all-staff@example.com",
            "announcements@example.com",
            "Shared Drive - Company",
        ],
    ),
    ap(
        "GOOGLE",
        "Google Workspace Leadership",
        &["Shared Drive - Leadership", "Shared Drive - Board"],
    ),
    ap(
        "GOOGLE",
        "Google Workspace Administration",
        &["Super Admin"],
    ),
    ap("WORKDAY", "Workday Employee", &["Employee Self Service"]),
    ap(
        "WORKDAY",
        "Workday Manager",
        &["Manager Self Service", "Time Tracking Approver"],
    ),
    ap(
        "WORKDAY",
        "Workday HR Partner",
        &["HR Partner", "Compensation Partner", "Benefits Partner"],
    ),
    ap("WORKDAY", "Workday Recruiting", &["Recruiter"]),
    ap("WORKDAY", "Workday Payroll", &["Payroll Administrator"]),
    ap("SLACK", "Slack Member", &["Member"]),
    ap("SLACK", "Slack Leadership", &["Member", "@leadership"]),
    ap("SLACK", "Slack Administration", &["Workspace Admin"]),
    ap("SERVICENOW", "ServiceNow Requester", &["snc_internal"]),
    ap(
        "SERVICENOW",
        "ServiceNow Fulfiller",
        &["itil", "Service Desk"],
    ),
    ap(
        "SERVICENOW",
        "ServiceNow Change Management",
        &["itil", "Change Advisory Board", "approver_user"],
    ),
    ap(
        "SERVICENOW",
        "ServiceNow Administration",
        &["admin", "security_admin"],
    ),
    ap("JIRA", "Jira Software Access", &["jira-software-users"]),
    ap(
        "JIRA",
        "Jira Service Management",
        &["jira-servicemanagement-users"],
    ),
    ap(
        "JIRA",
        "Jira Payments Project",
        &["jira-software-users", "PAY-developers"],
    ),
    ap(
        "JIRA",
        "Jira Platform Project",
        &["jira-software-users", "PLAT-developers"],
    ),
    ap("JIRA", "Jira Administration", &["jira-administrators"]),
    ap("CONFLUENCE", "Confluence Standard", &["confluence-users"]),
    ap(
        "CONFLUENCE",
        "Confluence Engineering Space",
        &["confluence-users", "space-ENG-editors"],
    ),
    ap("GITHUB", "GitHub Engineering", &["engineering"]),
    ap("GITHUB", "GitHub Backend", &["engineering", "backend"]),
    ap("GITHUB", "GitHub Frontend", &["engineering", "frontend"]),
    ap("GITHUB", "GitHub Platform", &["engineering", "platform"]),
    ap("GITHUB", "GitHub Data", &["engineering", "data"]),
    ap("GITHUB", "GitHub Security", &["engineering", "security"]),
    ap(
        "GITHUB",
        "GitHub Organization Administration",
        &["Organization Owners"],
    ),
    ap(
        "AWS",
        "AWS Developer",
        &["Dev-Developer", "Staging-ReadOnly", "Prod-ReadOnly"],
    ),
    ap(
        "AWS",
        "AWS Data Analyst",
        &["Data-Lake-Analyst", "Dev-ReadOnly"],
    ),
    ap(
        "AWS",
        "AWS Finance",
        &["Billing-ReadOnly", "Finance-Reports"],
    ),
    ap(
        "AWS",
        "AWS Security Audit",
        &["Security-Audit", "Log-Archive-ReadOnly"],
    ),
    ap(
        "AWS",
        "AWS Platform Operator",
        &[
            "Staging-Developer",
            "Prod-PowerUser",
            "Log-Archive-ReadOnly",
        ],
    ),
    ap(
        "AWS",
        "AWS Administrator",
        &["Prod-Administrator", "Organization-Administrator"],
    ),
    ap("KUBERNETES", "Kubernetes Read", &["view"]),
    ap(
        "KUBERNETES",
        "Kubernetes Payments Team",
        &["view", "edit:payments"],
    ),
    ap(
        "KUBERNETES",
        "Kubernetes Platform Operator",
        &["view", "admin:monitoring", "view:kube-system"],
    ),
    ap("KUBERNETES", "Kubernetes Cluster Admin", &["cluster-admin"]),
    ap(
        "DATADOG",
        "Datadog Standard",
        &["Datadog Standard Role", "Log Reader - Production"],
    ),
    ap("DATADOG", "Datadog Read Only", &["Datadog Read Only Role"]),
    ap("PAGERDUTY", "PagerDuty Responder", &["Responder"]),
    ap(
        "PAGERDUTY",
        "PagerDuty Platform On-Call",
        &["Responder", "Platform On-Call"],
    ),
    ap(
        "PAGERDUTY",
        "PagerDuty Security On-Call",
        &["Responder", "Security On-Call"],
    ),
    ap(
        "SALESFORCE",
        "Salesforce Sales Rep",
        &["Sales User", "CPQ User"],
    ),
    ap(
        "SALESFORCE",
        "Salesforce Sales Manager",
        &["Sales Manager", "Contract Manager"],
    ),
    ap(
        "SALESFORCE",
        "Salesforce Service Agent",
        &["Service Cloud Agent"],
    ),
    ap("SALESFORCE", "Salesforce Marketing", &["Marketing User"]),
    ap("SALESFORCE", "Salesforce Read Only", &["Read Only"]),
    ap(
        "SALESFORCE",
        "Salesforce Administration",
        &["System Administrator"],
    ),
    ap(
        "SAP",
        "SAP Accounts Payable",
        &["SAP_FI_AP_CLERK", "SAP_FI_DISPLAY"],
    ),
    ap(
        "SAP",
        "SAP Accounts Receivable",
        &["SAP_FI_AR_CLERK", "SAP_FI_DISPLAY"],
    ),
    ap(
        "SAP",
        "SAP General Ledger",
        &[
            "SAP_FI_GL_ACCOUNTANT",
            "SAP_FI_DISPLAY",
            "SAP_CO_CONTROLLER",
        ],
    ),
    ap(
        "SAP",
        "SAP Procurement",
        &["SAP_MM_BUYER", "SAP_MM_WAREHOUSE"],
    ),
    ap("SAP", "SAP Order Entry", &["SAP_SD_ORDER_ENTRY"]),
    ap(
        "SAP",
        "SAP Basis Administration",
        &["SAP_BASIS_ADMIN", "SAP_ALL"],
    ),
    ap(
        "ORACLE",
        "Oracle Finance Reporting",
        &["CONNECT", "FIN_READ"],
    ),
    ap(
        "ORACLE",
        "Oracle Orders Developer",
        &["CONNECT", "RESOURCE", "ORDERS_READ", "ORDERS_WRITE"],
    ),
    ap(
        "ORACLE",
        "Oracle DBA",
        &["DBA", "SYSDBA", "SELECT_CATALOG_ROLE"],
    ),
    ap("SNOWFLAKE", "Snowflake Analyst", &["PUBLIC", "ANALYST"]),
    ap(
        "SNOWFLAKE",
        "Snowflake Data Engineer",
        &["PUBLIC", "DATA_ENGINEER"],
    ),
    ap(
        "SNOWFLAKE",
        "Snowflake Finance",
        &["PUBLIC", "FINANCE_READER"],
    ),
    ap(
        "SNOWFLAKE",
        "Snowflake Marketing",
        &["PUBLIC", "MARKETING_ANALYST"],
    ),
    ap(
        "SNOWFLAKE",
        "Snowflake Sales Ops",
        &["PUBLIC", "SALES_OPS_READER"],
    ),
    ap(
        "SNOWFLAKE",
        "Snowflake Administration",
        &["SYSADMIN", "ACCOUNTADMIN"],
    ),
    ap(
        "NETSUITE",
        "NetSuite Accounting",
        &["Accountant", "Bookkeeper"],
    ),
    ap("NETSUITE", "NetSuite Payables", &["A/P Clerk"]),
    ap(
        "NETSUITE",
        "NetSuite Controller",
        &["Controller", "Auditor"],
    ),
    ap("ZENDESK", "Zendesk Light Agent", &["Light Agent"]),
    ap("ZENDESK", "Zendesk Agent", &["Agent", "Tier 1 Support"]),
    ap(
        "ZENDESK",
        "Zendesk Escalations",
        &["Agent", "Tier 2 Support", "Escalations"],
    ),
    ap(
        "ZENDESK",
        "Zendesk Team Lead",
        &["Team Lead", "Escalations"],
    ),
    ap(
        "EXPENSIFY",
        "Expensify Employee",
        &["Employee", "Corporate Card Holder"],
    ),
    ap("EXPENSIFY", "Expensify Approver", &["Approver"]),
    ap("GREENHOUSE", "Greenhouse Interviewer", &["Interviewer"]),
    ap(
        "GREENHOUSE",
        "Greenhouse Hiring Manager",
        &["Hiring Manager", "Interviewer"],
    ),
    ap(
        "GREENHOUSE",
        "Greenhouse Recruiting",
        &["Recruiter", "Coordinator", "Job Admin"],
    ),
    ap("IRONCLAD", "Ironclad Requester", &["Contract Requester"]),
    ap(
        "IRONCLAD",
        "Ironclad Legal Review",
        &["Legal Reviewer", "Workflow Designer"],
    ),
    ap(
        "CROWDSTRIKE",
        "Falcon Analyst",
        &["Falcon Analyst", "Falcon Investigator"],
    ),
    ap(
        "CROWDSTRIKE",
        "Falcon Endpoint Management",
        &["Endpoint Manager", "Prevention Hashes Manager"],
    ),
    ap(
        "CROWDSTRIKE",
        "Falcon Administration",
        &["Falcon Administrator", "Real Time Responder - Admin"],
    ),
    ap(
        "HUBSPOT",
        "HubSpot Marketing",
        &["Marketing Contributor", "Content Editor"],
    ),
    ap("HUBSPOT", "HubSpot Publishing", &["Marketing Publisher"]),
    ap(
        "HUBSPOT",
        "HubSpot Sales",
        &["Sales Hub Seat", "Reports Viewer"],
    ),
];

/// A role in the tables.
pub(super) struct RoleSpec {
    pub name: &'static str,
    pub description: &'static str,
    /// The department that owns it (its head is the owner) and whose people hold it.
    pub dept: usize,
    pub access_profiles: &'static [&'static str],
    /// Direct entitlements, as (source key, entitlement name).
    pub entitlements: &'static [(&'static str, &'static str)],
    /// Departments whose people may request it although their title does not imply it.
    pub requesters: DeptMask,
}

/// Job roles (matched by title) and requestable administrator roles. The per-department
/// birthright roles are generated.
pub(super) const ROLES: &[RoleSpec] = &[
    RoleSpec {
        name: "People Manager",
        description: "Everyone who manages people: approvals, time tracking and hiring",
        dept: HR,
        access_profiles: &[
            "Workday Manager",
            "Expensify Approver",
            "Greenhouse Hiring Manager",
        ],
        entitlements: &[],
        requesters: 0,
    },
    RoleSpec {
        name: "Security Analyst",
        description: "Security operations centre analysts",
        dept: SECURITY,
        access_profiles: &["Falcon Analyst", "AWS Security Audit"],
        entitlements: &[("SLACK", "@security-incident-response")],
        requesters: 0,
    },
    RoleSpec {
        name: "Security Engineer",
        description: "Builds and runs security tooling",
        dept: SECURITY,
        access_profiles: &["GitHub Security", "AWS Security Audit"],
        entitlements: &[("JIRA", "SEC-incident-responders")],
        requesters: 0,
    },
    RoleSpec {
        name: "IT Support Specialist",
        description: "Service desk and end-user support",
        dept: IT,
        access_profiles: &["ServiceNow Fulfiller", "AD Helpdesk"],
        entitlements: &[],
        requesters: 0,
    },
    RoleSpec {
        name: "Systems Administrator",
        description: "Runs servers, networks and endpoints",
        dept: IT,
        access_profiles: &["ServiceNow Change Management", "AD Server Administration"],
        entitlements: &[("CROWDSTRIKE", "Endpoint Manager")],
        requesters: 0,
    },
    RoleSpec {
        name: "Database Administrator",
        description: "Administers the Oracle and Snowflake databases",
        dept: IT,
        access_profiles: &["Oracle DBA"],
        entitlements: &[("SNOWFLAKE", "SYSADMIN")],
        requesters: bit(ENGINEERING),
    },
    RoleSpec {
        name: "Cloud Administrator",
        description: "Full control of the AWS organisation and the production clusters",
        dept: IT,
        access_profiles: &["AWS Administrator", "Kubernetes Cluster Admin"],
        entitlements: &[],
        requesters: bit(IT) | bit(ENGINEERING),
    },
    RoleSpec {
        name: "Identity Administrator",
        description: "Administers the directories and single sign-on",
        dept: SECURITY,
        access_profiles: &["Okta Administration", "Entra ID Administration"],
        entitlements: &[("AD", "Domain Admins")],
        requesters: bit(SECURITY) | bit(IT),
    },
    RoleSpec {
        name: "Collaboration Administrator",
        description: "Administers mail, chat and the service desk",
        dept: IT,
        access_profiles: &[
            "Google Workspace Administration",
            "Slack Administration",
            "ServiceNow Administration",
        ],
        entitlements: &[],
        requesters: bit(IT),
    },
    RoleSpec {
        name: "ERP Administrator",
        description: "SAP Basis administration",
        dept: FINANCE,
        access_profiles: &["SAP Basis Administration"],
        entitlements: &[("NETSUITE", "Administrator")],
        requesters: bit(IT) | bit(FINANCE),
    },
    RoleSpec {
        name: "Salesforce Administrator",
        description: "Administers the Salesforce org",
        dept: SALES,
        access_profiles: &["Salesforce Administration"],
        entitlements: &[],
        requesters: bit(SALES) | bit(IT),
    },
    RoleSpec {
        name: "Software Engineer",
        description: "Builds and ships the product",
        dept: ENGINEERING,
        access_profiles: &["GitHub Engineering", "AWS Developer"],
        entitlements: &[("JIRA", "jira-software-users")],
        requesters: 0,
    },
    RoleSpec {
        name: "Site Reliability Engineer",
        description: "Runs production: deploys, on-call and capacity",
        dept: ENGINEERING,
        access_profiles: &["AWS Platform Operator", "Kubernetes Platform Operator"],
        entitlements: &[("PAGERDUTY", "Platform On-Call")],
        requesters: 0,
    },
    RoleSpec {
        name: "Data Engineer",
        description: "Builds the data pipelines and the warehouse",
        dept: ENGINEERING,
        access_profiles: &["Snowflake Data Engineer", "GitHub Data"],
        entitlements: &[("AWS", "Data-Lake-Analyst")],
        requesters: 0,
    },
    RoleSpec {
        name: "Product Manager",
        description: "Owns a product area's roadmap",
        dept: PRODUCT,
        access_profiles: &["Jira Software Access"],
        entitlements: &[
            ("JIRA", "jira-product-discovery-users"),
            ("CONFLUENCE", "space-PRODUCT-editors"),
        ],
        requesters: 0,
    },
    RoleSpec {
        name: "Product Designer",
        description: "Designs and researches the product",
        dept: PRODUCT,
        access_profiles: &["Jira Software Access"],
        entitlements: &[("CONFLUENCE", "space-PRODUCT-editors")],
        requesters: 0,
    },
    RoleSpec {
        name: "Account Executive",
        description: "Sells to and looks after customers",
        dept: SALES,
        access_profiles: &["Salesforce Sales Rep", "Ironclad Requester"],
        entitlements: &[("HUBSPOT", "Sales Hub Seat")],
        requesters: 0,
    },
    RoleSpec {
        name: "Sales Operations Analyst",
        description: "Pipeline reporting and territory planning",
        dept: SALES,
        access_profiles: &["Salesforce Sales Manager", "Snowflake Sales Ops"],
        entitlements: &[],
        requesters: 0,
    },
    RoleSpec {
        name: "Marketing Specialist",
        description: "Campaigns, content and demand generation",
        dept: MARKETING,
        access_profiles: &["HubSpot Marketing", "Salesforce Marketing"],
        entitlements: &[],
        requesters: 0,
    },
    RoleSpec {
        name: "Support Agent",
        description: "First-line customer support",
        dept: SUPPORT,
        access_profiles: &["Zendesk Agent", "Salesforce Service Agent"],
        entitlements: &[],
        requesters: 0,
    },
    RoleSpec {
        name: "Support Engineer",
        description: "Escalated, technical customer support",
        dept: SUPPORT,
        access_profiles: &["Zendesk Escalations", "Datadog Read Only"],
        entitlements: &[("JIRA", "jira-servicemanagement-users")],
        requesters: 0,
    },
    RoleSpec {
        name: "Operations Analyst",
        description: "Order and supply-chain reporting",
        dept: OPERATIONS,
        access_profiles: &["Snowflake Analyst"],
        entitlements: &[("ORACLE", "CONNECT"), ("ORACLE", "ORDERS_READ")],
        requesters: 0,
    },
    RoleSpec {
        name: "Procurement Specialist",
        description: "Purchasing and logistics",
        dept: OPERATIONS,
        access_profiles: &["SAP Procurement", "SAP Order Entry"],
        entitlements: &[],
        requesters: 0,
    },
    RoleSpec {
        name: "Accountant",
        description: "General ledger and period close",
        dept: FINANCE,
        access_profiles: &["NetSuite Accounting", "SAP General Ledger"],
        entitlements: &[("SNOWFLAKE", "FINANCE_READER")],
        requesters: 0,
    },
    RoleSpec {
        name: "Accounts Payable Specialist",
        description: "Vendor invoices and payments",
        dept: FINANCE,
        access_profiles: &["SAP Accounts Payable", "NetSuite Payables"],
        entitlements: &[],
        requesters: 0,
    },
    RoleSpec {
        name: "Financial Analyst",
        description: "Planning, forecasting and audit",
        dept: FINANCE,
        access_profiles: &["Snowflake Finance", "AWS Finance"],
        entitlements: &[("ORACLE", "FIN_READ")],
        requesters: 0,
    },
    RoleSpec {
        name: "HR Business Partner",
        description: "Worker data, compensation and benefits",
        dept: HR,
        access_profiles: &["Workday HR Partner"],
        entitlements: &[
            ("CONFLUENCE", "space-HR-editors"),
            ("SAP", "SAP_HR_DISPLAY"),
        ],
        requesters: 0,
    },
    RoleSpec {
        name: "Recruiter",
        description: "Runs hiring pipelines",
        dept: HR,
        access_profiles: &["Workday Recruiting", "Greenhouse Recruiting"],
        entitlements: &[],
        requesters: 0,
    },
    RoleSpec {
        name: "Legal Counsel",
        description: "Contracts, privacy and compliance",
        dept: LEGAL,
        access_profiles: &["Ironclad Legal Review"],
        entitlements: &[
            ("CONFLUENCE", "space-LEGAL-editors"),
            ("SALESFORCE", "Contract Manager"),
        ],
        requesters: 0,
    },
    RoleSpec {
        name: "Executive Leadership",
        description: "The CEO and the department heads",
        dept: EXECUTIVE,
        access_profiles: &["Google Workspace Leadership", "Slack Leadership"],
        entitlements: &[],
        requesters: 0,
    },
];

/// A resolved source.
pub(super) struct SourceRec {
    pub spec: &'static SourceSpec,
    pub id: String,
    pub owner: u32,
    /// Its entitlements from the tables and the per-department ones (not the staff lists).
    pub entitlements: Vec<usize>,
}

/// A resolved entitlement.
pub(super) struct EntRec {
    pub id: String,
    pub source: usize,
    pub name: String,
    pub value: String,
    pub description: String,
    pub privileged: bool,
    pub owner: u32,
    pub permissions: Vec<(String, String)>,
    /// Who may request it.
    pub audience: DeptMask,
}

/// A resolved access profile.
pub(super) struct ApRec {
    pub id: String,
    pub name: String,
    pub description: String,
    pub source: usize,
    pub owner: u32,
    pub entitlements: Vec<usize>,
    pub privileged: bool,
}

/// A resolved role.
pub(super) struct RoleRec {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner: u32,
    pub access_profiles: Vec<usize>,
    pub entitlements: Vec<usize>,
    pub privileged: bool,
    pub dept: usize,
    pub requesters: DeptMask,
}

/// An access item: what an assignment points at.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Item {
    Entitlement(usize),
    AccessProfile(usize),
    Role(usize),
}

/// Everything that can be assigned, with ids and owners, plus the lookups the planner needs.
pub(super) struct Catalog {
    pub sources: Vec<SourceRec>,
    pub entitlements: Vec<EntRec>,
    pub access_profiles: Vec<ApRec>,
    pub roles: Vec<RoleRec>,
    /// The birthright role of each department (Executive included).
    pub birthright: Vec<usize>,
    /// The role every manager holds.
    pub people_manager: usize,
    /// The role the CEO and the department heads hold.
    pub leadership: usize,
    /// The staff mailing list a manager of managers owns, by person index.
    pub staff_list: HashMap<u32, usize>,
    /// What each department's people may ask for by request (no privileged items).
    pub request_pool: Vec<Vec<Item>>,
    /// Privileged roles each department's people may request.
    pub privileged_pool: Vec<Vec<usize>>,
    /// Indices of the core sources (everybody has an account there).
    pub core_sources: Vec<usize>,
    role_by_name: HashMap<&'static str, usize>,
    source_by_key: HashMap<&'static str, usize>,
}

impl Catalog {
    /// Resolves the tables against the organisation: ids, owners, per-department items and the
    /// staff lists of managers of managers.
    pub fn build(org: &Org, rng: &mut ChaCha8Rng) -> Catalog {
        let mut sources = Vec::with_capacity(SOURCES.len());
        let mut source_by_key = HashMap::new();
        for (s, spec) in SOURCES.iter().enumerate() {
            source_by_key.insert(spec.key, s);
            sources.push(SourceRec {
                spec,
                id: format!("SRC-{}", spec.key),
                owner: org.senior_in(spec.owner_dept, rng),
                entitlements: Vec::new(),
            });
        }

        let mut entitlements: Vec<EntRec> = Vec::new();
        let mut ent_by_name: HashMap<(usize, String), usize> = HashMap::new();
        let mut add_ent = |sources: &mut Vec<SourceRec>,
                           source: usize,
                           name: String,
                           description: String,
                           privileged: bool,
                           owner: u32,
                           permissions: Vec<(String, String)>,
                           audience: DeptMask|
         -> usize {
            let index = entitlements.len();
            let spec = sources[source].spec;
            let value = match spec.value_style {
                ValueStyle::Name => name.clone(),
                ValueStyle::AdGroupDn => {
                    format!("CN={name},OU=Groups,DC=corp,DC=example,DC=com")
                }
                ValueStyle::AwsPermissionSet => format!(
                    "arn:aws:sso:::permissionSet/ssoins-72235a0f3c1e9d4b/ps-{}",
                    name.to_ascii_lowercase()
                ),
            };
            let description = if description.is_empty() {
                format!("{} on {}", name, spec.name)
            } else {
                description
            };
            ent_by_name.insert((source, name.clone()), index);
            entitlements.push(EntRec {
                id: format!("ENT-{:05}", index + 1),
                source,
                name,
                value,
                description,
                privileged,
                owner,
                permissions,
                audience,
            });
            index
        };

        for (s, spec) in SOURCES.iter().enumerate() {
            for e in spec.entitlements {
                // Privileged items are owned by the source owner; others now and then by a
                // manager of the owning department, as happens when teams own their groups.
                let owner = if !e.privileged && rng.gen_bool(0.3) {
                    pick(&org.managers[spec.owner_dept], rng).unwrap_or(sources[s].owner)
                } else {
                    sources[s].owner
                };
                let audience = if e.audience == INHERIT {
                    spec.users
                } else {
                    e.audience
                };
                let index = add_ent(
                    &mut sources,
                    s,
                    e.name.to_owned(),
                    e.description.to_owned(),
                    e.privileged,
                    owner,
                    e.permissions
                        .iter()
                        .map(|(t, r)| ((*t).to_owned(), (*r).to_owned()))
                        .collect(),
                    audience,
                );
                sources[s].entitlements.push(index);
            }
        }

        // Per-department groups: a security group and a file share on AD, a mailing list.
        let ad = source_by_key["AD"];
        let google = source_by_key["GOOGLE"];
        let mut dept_staff = Vec::new();
        let mut dept_share = Vec::new();
        let mut dept_list = Vec::new();
        for (d, dept) in DEPARTMENTS.iter().enumerate() {
            let head = org.head_or_ceo(d);
            let staff = add_ent(
                &mut sources,
                ad,
                format!("{} Staff", dept.name),
                format!("Everyone in {}", dept.name),
                false,
                head,
                Vec::new(),
                0,
            );
            let share = add_ent(
                &mut sources,
                ad,
                format!("FS-{}-Share", dept.name),
                format!("The {} department's file share", dept.name),
                false,
                head,
                vec![(
                    format!("\\\\files.corp.example.com\\{}", dept.slug),
                    "read,write".to_owned(),
                )],
                bit(d),
            );
            let list = add_ent(
                &mut sources,
                google,
                format!("{}@example.com", dept.slug),
                format!("Mailing list of {}", dept.name),
                false,
                head,
                Vec::new(),
                0,
            );
            sources[ad].entitlements.extend([staff, share]);
            sources[google].entitlements.push(list);
            dept_staff.push(staff);
            dept_share.push(share);
            dept_list.push(list);
        }
        // Per-site groups on AD: badge access and printers of each office.
        let ad_owner = sources[ad].owner;
        for (location, _) in LOCATIONS {
            let name = format!("Site-{}", location.replace(' ', ""));
            let index = add_ent(
                &mut sources,
                ad,
                name,
                format!("Badge access and printers at the {location} office"),
                false,
                ad_owner,
                Vec::new(),
                0,
            );
            sources[ad].entitlements.push(index);
        }
        // Staff lists of the CEO, the heads and their directors, owned by the manager.
        let mut staff_list = HashMap::new();
        for (g, p) in org.people.iter().enumerate() {
            if p.manages_managers && p.depth <= 2 {
                let index = add_ent(
                    &mut sources,
                    google,
                    format!("{}-staff@example.com", p.login),
                    format!("{}'s direct reports", p.display_name()),
                    false,
                    g as u32,
                    Vec::new(),
                    0,
                );
                staff_list.insert(g as u32, index);
            }
        }
        let lookup = |source: &str, name: &str| -> usize {
            let s = source_by_key[source];
            *ent_by_name
                .get(&(s, name.to_owned()))
                .unwrap_or_else(|| panic!("demo catalogue: no entitlement {name:?} on {source}"))
        };

        let mut access_profiles = Vec::new();
        let mut ap_by_name: HashMap<&str, usize> = HashMap::new();
        for spec in ACCESS_PROFILES {
            let s = source_by_key[spec.source];
            let ents: Vec<usize> = spec
                .entitlements
                .iter()
                .map(|e| lookup(spec.source, e))
                .collect();
            let privileged = ents.iter().any(|e| entitlements[*e].privileged);
            ap_by_name.insert(spec.name, access_profiles.len());
            access_profiles.push(ApRec {
                id: String::new(),
                name: spec.name.to_owned(),
                description: describe_bundle(&ents, &entitlements, SOURCES[s].name),
                source: s,
                owner: sources[s].owner,
                entitlements: ents,
                privileged,
            });
        }
        let mut dept_share_ap = Vec::new();
        for (d, dept) in DEPARTMENTS.iter().enumerate() {
            dept_share_ap.push(access_profiles.len());
            access_profiles.push(ApRec {
                id: String::new(),
                name: format!("{} File Share", dept.name),
                description: format!("Read and write the {} file share", dept.name),
                source: ad,
                owner: org.head_or_ceo(d),
                entitlements: vec![dept_share[d]],
                privileged: false,
            });
        }
        for (i, a) in access_profiles.iter_mut().enumerate() {
            a.id = format!("AP-{:03}", i + 1);
        }

        let mut roles = Vec::new();
        let mut role_by_name = HashMap::new();
        for (d, dept) in DEPARTMENTS.iter().enumerate() {
            let aps = vec![
                ap_by_name["AD Corporate Baseline"],
                ap_by_name["Okta Standard Apps"],
            ];
            roles.push(RoleRec {
                id: String::new(),
                name: format!("Birthright - {}", dept.name),
                description: format!(
                    "What everyone in {} gets on day one: sign-in, VPN, SSO and the department's groups",
                    dept.name
                ),
                owner: org.head_or_ceo(d),
                access_profiles: aps,
                entitlements: vec![dept_staff[d], dept_list[d]],
                privileged: false,
                dept: d,
                requesters: 0,
            });
        }
        let birthright: Vec<usize> = (0..DEPARTMENTS.len()).collect();
        for spec in ROLES {
            let aps: Vec<usize> = spec
                .access_profiles
                .iter()
                .map(|a| {
                    *ap_by_name
                        .get(a)
                        .unwrap_or_else(|| panic!("demo catalogue: no access profile {a:?}"))
                })
                .collect();
            let ents: Vec<usize> = spec
                .entitlements
                .iter()
                .map(|(s, e)| lookup(s, e))
                .collect();
            let privileged = ents.iter().any(|e| entitlements[*e].privileged)
                || aps.iter().any(|a| access_profiles[*a].privileged);
            role_by_name.insert(spec.name, roles.len());
            roles.push(RoleRec {
                id: String::new(),
                name: spec.name.to_owned(),
                description: spec.description.to_owned(),
                owner: org.head_or_ceo(spec.dept),
                access_profiles: aps,
                entitlements: ents,
                privileged,
                dept: spec.dept,
                requesters: spec.requesters,
            });
        }
        for (i, r) in roles.iter_mut().enumerate() {
            r.id = format!("ROLE-{:03}", i + 1);
        }

        let mut request_pool = vec![Vec::new(); DEPARTMENTS.len()];
        let mut privileged_pool = vec![Vec::new(); DEPARTMENTS.len()];
        for (d, pool) in request_pool.iter_mut().enumerate() {
            for (a, rec) in access_profiles.iter().enumerate() {
                let usable = sources[rec.source].spec.users & bit(d) != 0;
                let open = rec
                    .entitlements
                    .iter()
                    .all(|e| entitlements[*e].audience & bit(d) != 0);
                if usable && open && !rec.privileged {
                    pool.push(Item::AccessProfile(a));
                }
            }
            for (e, rec) in entitlements.iter().enumerate() {
                if rec.audience & bit(d) != 0 && !rec.privileged {
                    pool.push(Item::Entitlement(e));
                }
            }
            for (r, rec) in roles.iter().enumerate() {
                let job_role = r >= DEPARTMENTS.len()
                    && r != role_by_name["People Manager"]
                    && r != role_by_name["Executive Leadership"];
                if job_role && rec.dept == d && !rec.privileged && rec.requesters == 0 {
                    pool.push(Item::Role(r));
                }
                if rec.privileged && rec.requesters & bit(d) != 0 {
                    privileged_pool[d].push(r);
                }
            }
        }
        let core_sources = (0..sources.len())
            .filter(|s| sources[*s].spec.core)
            .collect();
        let people_manager = role_by_name["People Manager"];
        let leadership = role_by_name["Executive Leadership"];
        Catalog {
            sources,
            entitlements,
            access_profiles,
            roles,
            birthright,
            people_manager,
            leadership,
            staff_list,
            request_pool,
            privileged_pool,
            core_sources,
            role_by_name,
            source_by_key,
        }
    }

    /// The role a job title implies, by its name.
    pub fn role_named(&self, name: &str) -> Option<usize> {
        self.role_by_name.get(name).copied()
    }

    /// The index of a source by its key.
    pub fn source_named(&self, key: &str) -> usize {
        self.source_by_key[key]
    }

    /// The entitlement of a source by its name.
    pub fn entitlement_named(&self, source: usize, name: &str) -> Option<usize> {
        self.sources[source]
            .entitlements
            .iter()
            .copied()
            .find(|e| self.entitlements[*e].name == name)
    }

    /// The source an item lives on (roles span sources).
    pub fn source_of(&self, item: Item) -> Option<usize> {
        match item {
            Item::Entitlement(e) => Some(self.entitlements[e].source),
            Item::AccessProfile(a) => Some(self.access_profiles[a].source),
            Item::Role(_) => None,
        }
    }
}

/// "Grants A, B and C on Source".
fn describe_bundle(ents: &[usize], all: &[EntRec], source: &str) -> String {
    let names: Vec<&str> = ents.iter().map(|e| all[*e].name.as_str()).collect();
    let list = match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {}", rest.join(", "), last),
        None => String::new(),
    };
    format!("Grants {list} on {source}")
}

/// A random element of a list, if any.
pub(super) fn pick(list: &[u32], rng: &mut ChaCha8Rng) -> Option<u32> {
    if list.is_empty() {
        None
    } else {
        Some(list[rng.gen_range(0..list.len())])
    }
}
