use clap::Parser;

/// mimalloc instead of the system allocator: pages of rows are allocated on the store's
/// threads and freed on the runtime's, which glibc's malloc paid for in locking and
/// consolidation (a fifth of the CPU profile of `bench api`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = tributary::cli::Cli::parse();
    match tributary::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
