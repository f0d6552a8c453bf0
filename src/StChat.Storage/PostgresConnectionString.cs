using Microsoft.Extensions.Configuration;
using Npgsql;

namespace StChat.Storage;

/// <summary>Reads and checks <c>ConnectionStrings:Postgres</c>, with errors that say what to set.</summary>
public static class PostgresConnectionString
{
    public const string Name = "Postgres";

    public static string Get(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString(Name);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Postgres is not set. Set it in config/appsettings.json or with the environment " +
                "variable ConnectionStrings__Postgres, e.g. 'Host=127.0.0.1;Port=5432;Database=stchat;Username=stchat;Password=...'.");
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(value);
            if (string.IsNullOrEmpty(builder.Host) || string.IsNullOrEmpty(builder.Database))
            {
                throw new ArgumentException("Host and Database are required.");
            }
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:Postgres is not a usable Npgsql connection string: {e.Message}", e);
        }

        return value;
    }
}
