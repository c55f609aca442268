//! The commands that need no database: `issue`, `rules`, `openapi`.

use healthcode_issuer::{
    issue::{Holder, issue_code},
    qr, service, vectors,
};
use healthcode_keys::{IdentityMasterKey, IssuerSecretKey, hktime};

use crate::{
    Done,
    args::{IssueArgs, RulesCommand},
};

/// `issuer issue`: signs the colour asked for, with the key given. A drill
/// and test tool: whoever holds the key can sign anything anyway.
pub fn issue(args: IssueArgs) -> anyhow::Result<Done> {
    let key = IssuerSecretKey::read(&args.key)?;
    let master = IdentityMasterKey::read(&args.identity_master_key)?;
    let at = args.at.unwrap_or_else(hktime::now);
    let holder = Holder {
        document: args.id_doc,
        date_of_issue: args.date_of_issue,
    };
    let token = issue_code(
        &mut rand::rngs::OsRng,
        &key,
        &master,
        args.colour,
        &holder,
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
