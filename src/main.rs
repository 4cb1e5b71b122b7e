use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| "ito=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = ito::cli::Cli::parse();
    match ito::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A reader that stopped early (`ito ... | head`) is not a failure.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ito: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
