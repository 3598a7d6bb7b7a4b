package web

// adminConsoleRoutes are the admin console's pages.
func (s *Server) adminConsoleRoutes() []route { return nil }
