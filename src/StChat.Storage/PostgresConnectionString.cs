using Microsoft.Extensions.Configuration;
using Npgsql;

namespace StChat.Storage;

/// <summary>
/// Reads and checks <c>ConnectionStrings:Postgres</c>, with errors that say what to set, and puts in the password of
/// <c>Postgres:PasswordFile</c> when that is set.
/// </summary>
public static class PostgresConnectionString
{
    public const string Name = "Postgres";

    public const string PasswordFileSetting = "Postgres:PasswordFile";

    public static string Get(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString(Name);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Postgres is not set. Set it in config/appsettings.json or with the environment " +
                "variable ConnectionStrings__Postgres, e.g. 'Host=127.0.0.1;Port=5432;Database=stchat;Username=stchat;Password=...'.");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(value);
            if (string.IsNullOrEmpty(builder.Host) || string.IsNullOrEmpty(builder.Database))
            {
                throw new ArgumentException("Host and Database are required.");
            }
        }
        catch (ArgumentException e)
        {
            // Npgsql's messages name the keyword that is wrong, never a value.
            throw new InvalidOperationException(
                $"ConnectionStrings:Postgres is not a usable Npgsql connection string: {e.Message}", e);
        }

        var passwordFile = configuration[PasswordFileSetting];
        if (string.IsNullOrWhiteSpace(passwordFile))
        {
            return value;
        }

        builder.Password = SecretFile.Read(PasswordFileSetting, passwordFile);
        return builder.ConnectionString;
    }
}
