using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using StChat.Server.Logging;

namespace StChat.Server;

internal static class StChatConfiguration
{
    /// <summary>
    /// One configuration order for every command: config/appsettings.json next to the executable (or the file named by
    /// STCHAT_CONFIG), then environment variables in .NET form (ConnectionStrings__Postgres, Nats__Url), then one file
    /// per setting in the directory named by STCHAT_SECRETS_DIR (Docker and Kubernetes secrets: a file Nats__Password
    /// sets Nats:Password), then --Section:Option=value arguments. Later sources win.
    /// </summary>
    public static T ConfigureStChat<T>(this T builder, string[] args)
        where T : IHostApplicationBuilder
    {
        var file = Environment.GetEnvironmentVariable("STCHAT_CONFIG")
            ?? Path.Combine(AppContext.BaseDirectory, "config", "appsettings.json");

        var configuration = builder.Configuration;
        configuration.Sources.Clear();
        configuration.AddJsonFile(file, optional: false, reloadOnChange: false);
        configuration.AddEnvironmentVariables();
        if (Environment.GetEnvironmentVariable("STCHAT_SECRETS_DIR") is { Length: > 0 } secrets)
        {
            // Before any logging exists: said on stderr, and the process stops as for any invalid configuration.
            if (!Directory.Exists(secrets))
            {
                Console.Error.WriteLine($"STCHAT_SECRETS_DIR is '{secrets}', which is not a directory (relative paths start at {Environment.CurrentDirectory}).");
                Environment.Exit(1);
            }

            configuration.AddKeyPerFile(Path.GetFullPath(secrets), optional: false);
        }

        configuration.AddCommandLine(args);

        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.AddStChatConsoleLogging();
        return builder;
    }

    // Console logs, single-line text by default and JSON with Logging:Console:FormatterName=json, both with scopes (the
    // connection and session of a chat line) and both behind the redacting provider. Logging:Console:FormatterOptions
    // overrides the defaults set here.
    private static void AddStChatConsoleLogging(this IHostApplicationBuilder builder)
    {
        var formatterOptions = builder.Configuration.GetSection("Logging:Console:FormatterOptions");
        builder.Services.Configure<SimpleConsoleFormatterOptions>(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = false;
            o.ColorBehavior = LoggerColorBehavior.Disabled;
            o.IncludeScopes = true;
            formatterOptions.Bind(o);
        });
        builder.Services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
            o.IncludeScopes = true;
            formatterOptions.Bind(o);
        });

        // Trace and span ids belong in structured logs; in a text line they would only push the message to the right.
        if (!string.Equals(builder.Configuration["Logging:Console:FormatterName"], ConsoleFormatterNames.Json, StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.None);
        }

        builder.Logging.AddConsole();

        // The slim web builder names the simple formatter after the configuration was bound, and the other builders name
        // none (which means the multi-line legacy format); named and bound again here, the configured formatter wins.
        var console = builder.Configuration.GetSection("Logging:Console");
        builder.Services.Configure<ConsoleLoggerOptions>(o =>
        {
            o.FormatterName = ConsoleFormatterNames.Simple;
            console.Bind(o);
        });
        builder.Services.RemoveAll<ILoggerProvider>();
        builder.Services.AddSingleton<ILoggerProvider>(sp =>
            new RedactingLoggerProvider(ActivatorUtilities.CreateInstance<ConsoleLoggerProvider>(sp)));
    }
}
