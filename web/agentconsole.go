package web

// agentConsoleRoutes are the agent console's pages and assets.
func (s *Server) agentConsoleRoutes() []route { return nil }
