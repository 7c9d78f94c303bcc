//! The simulator's GraphQL schema is a subset of GitHub's published schema: every type, field,
//! argument and enum value it models exists there with a compatible type, so a document valid
//! against the simulator is valid against GitHub and vice versa within the subset.

use apollo_compiler::Schema;
use apollo_compiler::ast::Type;
use apollo_compiler::schema::{ExtendedType, FieldDefinition, InputValueDefinition};

const GITHUB_SCHEMA: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/github/schema.graphql");

/// GitHub's file has one duplicate field that strict validation rejects: use the partial schema.
fn parse(source: String, path: &str) -> Schema {
    Schema::parse(source, path).unwrap_or_else(|with_errors| with_errors.partial)
}

fn github() -> Schema {
    parse(
        std::fs::read_to_string(GITHUB_SCHEMA).expect("the vendored GitHub schema is readable"),
        "schema.graphql",
    )
}

fn simulator() -> Schema {
    parse(jobrunner_github_sim::graphql_sdl(), "sim.graphql")
}

/// A value of type `sim` can stand where GitHub declares `github`: same named type, and the
/// simulator may only be stricter about nulls.
fn output_compatible(sim: &Type, github: &Type) -> bool {
    match (sim, github) {
        (Type::NonNullNamed(a) | Type::Named(a), Type::Named(b))
        | (Type::NonNullNamed(a), Type::NonNullNamed(b)) => a == b,
        (Type::NonNullList(a) | Type::List(a), Type::List(b))
        | (Type::NonNullList(a), Type::NonNullList(b)) => output_compatible(a, b),
        _ => false,
    }
}

/// The simulator accepts every value GitHub accepts for an argument or input field.
fn input_compatible(sim: &Type, github: &Type) -> bool {
    output_compatible(github, sim)
}

fn required(arg: &InputValueDefinition) -> bool {
    arg.ty.is_non_null() && arg.default_value.is_none()
}

fn check_field(
    owner: &str,
    sim: &FieldDefinition,
    github: Option<&FieldDefinition>,
    problems: &mut Vec<String>,
) {
    let name = format!("{owner}.{}", sim.name);
    let Some(github) = github else { return problems.push(format!("{name} is not in GitHub's schema")) };
    if !output_compatible(&sim.ty, &github.ty) {
        problems.push(format!("{name}: {} is not compatible with GitHub's {}", sim.ty, github.ty));
    }
    for arg in &sim.arguments {
        match github.arguments.iter().find(|a| a.name == arg.name) {
            None => problems.push(format!("{name}({}) is not an argument in GitHub's schema", arg.name)),
            Some(theirs) if !input_compatible(&arg.ty, &theirs.ty) => {
                problems
                    .push(format!("{name}({}): {} does not accept GitHub's {}", arg.name, arg.ty, theirs.ty));
            }
            Some(_) => {}
        }
    }
    for theirs in github.arguments.iter().filter(|a| required(a)) {
        if !sim.arguments.iter().any(|a| a.name == theirs.name) {
            problems.push(format!("{name} lacks GitHub's required argument {}", theirs.name));
        }
    }
}

fn check_type(sim: &ExtendedType, github: &ExtendedType, problems: &mut Vec<String>) {
    match (sim, github) {
        (ExtendedType::Object(ours), ExtendedType::Object(theirs)) => {
            for field in ours.fields.values() {
                check_field(&ours.name, field, theirs.fields.get(&field.name).map(|f| &***f), problems);
            }
            for interface in &ours.implements_interfaces {
                if !theirs.implements_interfaces.contains(interface) {
                    problems.push(format!("{} does not implement {} on GitHub", ours.name, interface.name));
                }
            }
        }
        (ExtendedType::Interface(ours), ExtendedType::Interface(theirs)) => {
            for field in ours.fields.values() {
                check_field(&ours.name, field, theirs.fields.get(&field.name).map(|f| &***f), problems);
            }
        }
        (ExtendedType::Enum(ours), ExtendedType::Enum(theirs)) => {
            for value in ours.values.keys().filter(|v| !theirs.values.contains_key(*v)) {
                problems.push(format!("{}.{value} is not a value of GitHub's enum", ours.name));
            }
        }
        (ExtendedType::InputObject(ours), ExtendedType::InputObject(theirs)) => {
            for (name, field) in &ours.fields {
                match theirs.fields.get(name) {
                    None => problems.push(format!("{}.{name} is not in GitHub's input", ours.name)),
                    Some(t) if !input_compatible(&field.ty, &t.ty) => {
                        problems.push(format!(
                            "{}.{name}: {} does not accept GitHub's {}",
                            ours.name, field.ty, t.ty
                        ));
                    }
                    Some(_) => {}
                }
            }
            for name in theirs.fields.keys().filter(|n| !ours.fields.contains_key(*n)) {
                problems.push(format!("{}.{name} is accepted by GitHub but not by the simulator", ours.name));
            }
        }
        (ExtendedType::Union(ours), ExtendedType::Union(theirs)) => {
            for member in ours.members.iter().filter(|m| !theirs.members.contains(*m)) {
                problems.push(format!("{} is not a member of GitHub's union {}", member.name, ours.name));
            }
        }
        (ExtendedType::Scalar(_), ExtendedType::Scalar(_)) => {}
        _ => problems.push(format!("{} is a different kind of type on GitHub", sim.name())),
    }
}

#[test]
fn every_modelled_type_field_argument_and_value_exists_in_githubs_schema() {
    let (sim, github) = (simulator(), github());
    let mut problems = Vec::new();
    let modelled = sim.types.values().filter(|t| !t.is_built_in());
    let mut checked = 0;
    for ty in modelled {
        checked += 1;
        match github.types.get(ty.name()) {
            None => problems.push(format!("type {} is not in GitHub's schema", ty.name())),
            Some(theirs) => check_type(ty, theirs, &mut problems),
        }
    }
    assert!(problems.is_empty(), "the simulator's schema departs from GitHub's:\n{}", problems.join("\n"));
    assert!(checked > 30, "only {checked} types were compared; did the SDL parse?");
}

#[test]
fn root_operation_types_are_named_like_githubs() {
    let sim = simulator();
    let root = |schema: &Schema, mutation: bool| {
        let name =
            if mutation { &schema.schema_definition.mutation } else { &schema.schema_definition.query };
        name.as_ref().map(|n| n.name.to_string())
    };
    assert_eq!(root(&sim, false).as_deref(), Some("Query"));
    assert_eq!(root(&sim, true).as_deref(), Some("Mutation"));
}

#[test]
fn checker_notices_a_field_github_lacks() {
    let fake = parse(
        "type Query { repository: Repository } type Repository { nonsense: Int }".to_owned(),
        "fake.graphql",
    );
    let mut problems = Vec::new();
    check_type(&fake.types["Repository"], &github().types["Repository"], &mut problems);
    assert_eq!(problems, ["Repository.nonsense is not in GitHub's schema"]);
}
