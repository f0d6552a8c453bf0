using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace StChat.Web.Tests.Infrastructure;

// A second web server on a free loopback port: one page, from an origin that is not the chat server's.
internal sealed class PageServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PageServer(WebApplication app, Uri uri)
    {
        _app = app;
        Uri = uri;
    }

    public Uri Uri { get; }

    // scheme://host:port, as a browser sends it in the Origin header of this page's requests.
    public string Origin => Uri.GetLeftPart(UriPartial.Authority);

    public static async Task<PageServer> StartAsync(string html)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/", () => Results.Content(html, "text/html; charset=utf-8"));
        await app.StartAsync();
        return new PageServer(app, new Uri(app.Urls.First() + "/"));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
