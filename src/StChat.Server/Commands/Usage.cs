namespace StChat.Server.Commands;

internal static class Usage
{
    public static int Print(TextWriter writer, int exitCode, string? error = null)
    {
        if (error is not null)
        {
            writer.WriteLine(error);
        }

        writer.WriteLine("""
            Usage: stchat <command> [--Section:Option=value ...]

            Commands:
              migrate   apply the PostgreSQL schema migrations and exit
              ingest    catalogue the sport_event and execution feeds into PostgreSQL (runs until stopped);
                        /healthz, /readyz and /metrics on Ingest:Url (default http://127.0.0.1:8900)
              feeds     publish simulated feeds: [--rate N] [--count N] [--msg-id] (see `stchat feeds --help`)
              chat      WebSocket chat rooms on Chat:Url (default http://127.0.0.1:8888; or --urls)
              serve     ingest and chat in one process, with the browser client at / (what `./stchat up` runs)

            chat and serve also answer /healthz, /readyz and /metrics; Metrics:Url gives /metrics an address of its own.

            Configuration comes from config/appsettings.json, then environment variables
            (ConnectionStrings__Postgres, Nats__Url, ...), then --Section:Option=value arguments.
            """);
        return exitCode;
    }
}
