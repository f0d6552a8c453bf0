using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace StChat.Catalogue;

public static class CatalogueEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET /api/feeds/{sport_event|execution}?after=&amp;limit=</c>, <c>/api/feeds/stats</c>,
    /// <c>/api/feeds/sports</c> and the WebSocket <c>/feeds/ws?after=</c>. The WebSocket middleware must already be in
    /// the pipeline (MapStChatChat adds it). Maps nothing when the catalogue is not registered (Catalogue:Enabled).
    /// </summary>
    public static IEndpointRouteBuilder MapStChatCatalogue(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<CatalogueEndpoints>() is not { } catalogue)
        {
            return endpoints;
        }

        var api = endpoints.MapGroup("/api/feeds").WithTags("Catalogue");
        api.MapGet("/stats", Handler(catalogue.StatsAsync))
            .WithName("CatalogueStats").WithSummary("The catalogue's horizon, pending messages, ingest rate and lag");
        api.MapGet("/sports", Handler(catalogue.SportsAsync))
            .WithName("CatalogueSports").WithSummary("sport_event rows per sport, up to the horizon");
        api.MapGet("/{feed}", catalogue.PageAsync)
            .WithName("CataloguePage").WithSummary("Rows of one feed after a stream seq, oldest first, up to the horizon");
        endpoints.MapGet("/feeds/ws", WebSocket(catalogue.SocketAsync))
            .WithName("CatalogueSocket").WithSummary("WebSocket: catalogue rows after ?after=, in stream order, then live");
        return endpoints;
    }

    private static Delegate Handler(Func<HttpContext, Task<IResult>> handler) => handler;

    private static Delegate WebSocket(Func<HttpContext, Task> handler) => handler;
}
