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

            Configuration comes from config/appsettings.json, then environment variables
            (ConnectionStrings__Postgres, Nats__Url, ...), then --Section:Option=value arguments.
            """);
        return exitCode;
    }
}
