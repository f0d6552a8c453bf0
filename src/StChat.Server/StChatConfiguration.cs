using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace StChat.Server;

internal static class StChatConfiguration
{
    /// <summary>
    /// One configuration order for every command: config/appsettings.json next to the executable (or the file named by
    /// STCHAT_CONFIG), then environment variables in .NET form (ConnectionStrings__Postgres, Nats__Url), then
    /// --Section:Option=value arguments. Later sources win.
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
        configuration.AddCommandLine(args);

        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = false;
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        return builder;
    }
}
