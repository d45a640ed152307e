use std::path::Path;

use anyhow::Context;

/// Prints the generated OpenAPI document, or checks a committed copy against it.
pub fn run(check: Option<&Path>) -> anyhow::Result<()> {
    let generated = tributary_api::openapi::document_json();
    let Some(path) = check else {
        println!("{generated}");
        return Ok(());
    };
    let committed =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if committed.trim_end() != generated.trim_end() {
        anyhow::bail!(
            "{} is out of date with the code: regenerate it with \
             `cargo run -p tributary -- openapi > {}`",
            path.display(),
            path.display()
        );
    }
    println!("{} matches the generated document", path.display());
    Ok(())
}
