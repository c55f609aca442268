//! The commands that need no database: `issue`, `rules`, `openapi`.

use healthcode_issuer::{issue::issue_code, qr, service, vectors};
use healthcode_keys::{IdentityKey, IssuerSecretKey, hktime};

use crate::{
    Done,
    args::{IssueArgs, RulesCommand},
};

/// `issuer issue`: signs the colour asked for, with the key given. A drill
/// and test tool: whoever holds the key can sign anything anyway.
pub fn issue(args: IssueArgs) -> anyhow::Result<Done> {
    let key = IssuerSecretKey::read(&args.key)?;
    let identity_key = IdentityKey::read(&args.identity_key)?;
    let at = args.at.unwrap_or_else(hktime::now);
    let token = issue_code(
        &mut rand::rngs::OsRng,
        &key,
        &identity_key,
        args.colour,
        &args.id_doc,
        at,
    )?;
    let text = token.to_text();
    if let Some(path) = args.qr {
        qr::write(&text, &path)?;
    }
    println!("{text}");
    Ok(Done::Succeeded)
}

/// `issuer rules eval` and `issuer rules check`.
pub fn rules(command: RulesCommand) -> anyhow::Result<Done> {
    let success = match command {
        RulesCommand::Eval { files } => vectors::eval_files(
            &files,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr(),
        )?,
        RulesCommand::Check { paths } => {
            vectors::check_paths(&paths, &mut std::io::stdout().lock())?.failed == 0
        }
    };
    Ok(Done::from_success(success))
}

/// `issuer openapi`.
pub fn openapi() -> anyhow::Result<Done> {
    print!("{}", service::openapi::json());
    Ok(Done::Succeeded)
}
